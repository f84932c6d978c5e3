"""Local response normalisation: the cpu and cuda forms equal the reference, the reference
equals torch.nn.functional.local_response_norm (forward and gradient), with alpha = 1e-4
and alpha = 1: a window off by one channel hides at the first and shows at the second."""
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from kernel_cases import (DTYPES, FORMS, LAYOUTS, assert_same, compiled_once, kernels_of,
                          make_array)

from minicnn.kernels import cpu, reference

SHAPES = st.tuples(st.integers(1, 3), st.integers(1, 8), st.integers(1, 5), st.integers(1, 5))
SIZES = st.integers(1, 7)
ALPHAS = st.sampled_from([1e-4, 1.0])
PARAMS = st.tuples(SIZES, ALPHAS, st.sampled_from([0.5, 0.75]), st.sampled_from([1.0, 2.0]))


def _case(shape, dtype, params, layout="contiguous"):
    x = make_array(shape, dtype, layout, seed=1)
    g = make_array(shape, dtype, layout, seed=2)
    y, scale = reference.lrn(x, *params)
    return x, g, y, scale


@pytest.mark.parametrize("form", FORMS)
@example(shape=(2, 8, 5, 7), dtype=np.float32, params=(4, 1.0, 0.75, 2.0), layout="contiguous")
@example(shape=(3, 7, 4, 5), dtype=np.float64, params=(5, 1.0, 0.5, 1.0), layout="sliced")
@given(shape=SHAPES, dtype=DTYPES, params=PARAMS, layout=LAYOUTS)
def test_lrn_forms_match_reference(form, shape, dtype, params, layout):
    kernels = kernels_of(form)
    x, g, y, scale = _case(shape, dtype, params, layout)
    got_y, got_scale = kernels.lrn(x, *params)
    assert_same(got_y, y)
    assert_same(got_scale, scale)
    assert_same(kernels.lrn_backward(x, y, scale, g, *params),
                reference.lrn_backward(x, y, scale, g, *params))


@given(SHAPES, PARAMS)
def test_lrn_reference_matches_torch(shape, params):
    torch = pytest.importorskip("torch")
    x, g, y, scale = _case(shape, np.float64, params)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.local_response_norm(tx, *params)
    ty.backward(torch.tensor(g))
    assert_same(y, ty.detach().numpy())
    assert_same(reference.lrn_backward(x, y, scale, g, *params), tx.grad.numpy())


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("shape", [(2, 5), (2, 6, 7)])
def test_lrn_other_ranks(shape, form):
    """(N, C) and (N, C, L) inputs: channels are axis 1 whatever follows."""
    torch = pytest.importorskip("torch")
    kernels = kernels_of(form)
    params = (4, 1.0, 0.75, 1.0)
    x, g, y, scale = _case(shape, np.float64, params)
    got_y, got_scale = kernels.lrn(x, *params)
    assert_same(got_y, y)
    assert_same(got_scale, scale)
    assert_same(kernels.lrn_backward(x, y, scale, g, *params),
                reference.lrn_backward(x, y, scale, g, *params))
    if len(shape) >= 3:
        assert_same(y, torch.nn.functional.local_response_norm(torch.tensor(x), *params))


def test_lrn_cpu_compiles_once_per_dtype():
    from minicnn.kernels.cpu.lrn import _backward, _forward

    params = (5, 1e-4, 0.75, 2.0)
    for layout in ("contiguous", "transposed", "sliced"):
        for dtype in (np.float32, np.float64):
            x, g, y, scale = _case((2, 6, 4, 3), dtype, params, layout)
            if layout == "contiguous":
                cpu.lrn_backward(x, *cpu.lrn(x, *params), g, *params)
                continue
            assert compiled_once(_forward, lambda: cpu.lrn(x, *params))
            assert compiled_once(_backward, lambda: cpu.lrn_backward(x, y, scale, g, *params))


def _spread(shape, dtype, seed):
    """Standard-normal values scaled per channel by 10^u, u uniform in −1.5 .. 1.5: squares
    six decades apart, so that a window sum left with rounding residue of a large square
    that has left the window shows."""
    rng = np.random.default_rng(seed)
    decades = rng.uniform(-1.5, 1.5, size=(1, shape[1]) + (1,) * (len(shape) - 2))
    return (rng.standard_normal(shape) * 10.0 ** decades).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, params", [
    ((1, 1024, 3, 5), (5, 1.0, 0.75, 1e-2)),       # a long channel axis: the running sums
    ((2, 1024, 2, 3), (4, 1e-4, 0.5, 2.0)),
    ((2, 7, 17, 19), (3, 1.0, 0.75, 1.0)),         # positions over several blocks, one partial
    ((3, 2, 300), (7, 1.0, 0.75, 1.0)),            # fewer channels than the window
])
def test_lrn_cpu_long_axes_match_float64_reference(shape, params, dtype):
    """The cpu form is within its dtype's resolution of the float64 reference over a long
    channel axis whose values span six decades, over several position blocks, and with
    fewer channels than the window."""
    x = _spread(shape, dtype, seed=3)
    g = make_array(shape, dtype, seed=4)
    y, scale = reference.lrn(x.astype(np.float64), *params)
    dx = reference.lrn_backward(x.astype(np.float64), y, scale, g.astype(np.float64), *params)
    got_y, got_scale = cpu.lrn(x, *params)
    got_dx = cpu.lrn_backward(x, got_y, got_scale, g, *params)
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got_scale, scale, rtol=rtol)
    np.testing.assert_allclose(got_y, y, rtol=rtol)
    # dx is a difference of two terms: near its zeros only an absolute bound is meaningful
    np.testing.assert_allclose(got_dx, dx, rtol=rtol, atol=rtol * np.abs(dx).max())
