"""The SGD update kernel: the cpu form (one pass, split into runs over the threads for long
parameters) leaves the parameter and the momentum buffer bit for bit as the reference's
passes do, for every combination of momentum, dampening, weight decay, Nesterov and
maximize, float32 and float64, with NaN and ±∞ in the gradient, and on views it hands to
the reference."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from kernel_cases import DTYPES, make_array
from minicnn.kernels import cpu, reference
from minicnn.kernels.cpu.optim import MIN_RUN

pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")

SIZES = st.one_of(st.integers(1, 300), st.integers(2 * MIN_RUN - 3, 5 * MIN_RUN + 11))
HYPER = st.fixed_dictionaries({
    "lr": st.sampled_from([0.1, 0.01, 1e-3]),
    "momentum": st.sampled_from([0.0, 0.9, 0.5]),
    "dampening": st.sampled_from([0.0, 0.1]),
    "weight_decay": st.sampled_from([0.0, 5e-4, 0.1]),
    "nesterov": st.booleans(),
    "maximize": st.booleans()})


def _operands(size, dtype, seed, momentum, specials):
    param = make_array((size,), dtype, seed=seed)
    grad = make_array((size,), dtype, seed=seed + 1)
    if specials:
        grad[np.random.default_rng(seed).integers(0, size, 3)] = [np.nan, np.inf, -np.inf]
    buf = make_array((size,), dtype, seed=seed + 2) if momentum else None
    return param, grad, buf


@settings(max_examples=60, deadline=None)
@given(size=SIZES, dtype=DTYPES, hyper=HYPER, specials=st.booleans(),
       seed=st.integers(0, 2**16))
def test_cpu_sgd_update_equals_reference(size, dtype, hyper, specials, seed):
    results = []
    for form in (cpu, reference):
        param, grad, buf = _operands(size, dtype, seed, hyper["momentum"], specials)
        grad_before = grad.copy()
        form.sgd_update(param, grad, buf, **hyper)
        np.testing.assert_array_equal(grad, grad_before)            # read, never written
        results.append((param, buf))
    (param, buf), (want_param, want_buf) = results
    assert param.dtype == want_param.dtype
    np.testing.assert_array_equal(param, want_param)
    if buf is not None:
        np.testing.assert_array_equal(buf, want_buf)


@pytest.mark.parametrize("layout", ["sliced", "transposed"])
def test_views_take_the_reference(layout):
    """A strided parameter is updated in place all the same."""
    shape = (40, 30)
    hyper = dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=1e-3, nesterov=True,
                 maximize=False)
    param, grad, buf = (make_array(shape, np.float32, layout, seed=s) for s in (1, 2, 3))
    want_param, want_buf = np.array(param), np.array(buf)
    reference.sgd_update(want_param, np.array(grad), want_buf, **hyper)
    cpu.sgd_update(param, grad, buf, **hyper)
    np.testing.assert_array_equal(param, want_param)
    np.testing.assert_array_equal(buf, want_buf)
