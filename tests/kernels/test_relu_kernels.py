"""ReLU and its gradient: the cpu and cuda forms equal the reference on hypothesis-drawn
arrays and layouts (sizes around the cuda launch's blocks too), the reference equals
PyTorch's relu (forward and gradient through autograd), and NaN, ±0 and ±∞ come out as
PyTorch's do, the sign of zero included."""
import numpy as np
import pytest
from hypothesis import example, given, strategies as st
from hypothesis.extra.numpy import array_shapes

from kernel_cases import BLOCK_EDGES, DTYPES, FORMS, LAYOUTS, kernels_of, make_array
from minicnn.kernels import reference
from minicnn.kernels.cpu.relu import MIN_RUN

SHAPES = array_shapes(max_dims=4, max_side=9)


def _examples(test):
    """The sizes around a block of the cuda launch, as explicit examples."""
    for n in BLOCK_EDGES:
        test = example(shape=(n,), dtype=np.float32, layout="contiguous", seed=n)(test)
    return example(shape=(3, 257), dtype=np.float64, layout="sliced", seed=0)(test)


@pytest.mark.parametrize("form", FORMS)
@_examples
@given(shape=SHAPES, dtype=DTYPES, layout=LAYOUTS, seed=st.integers(0, 2**16))
def test_relu_forms_equal_reference(form, shape, dtype, layout, seed):
    kernels = kernels_of(form)
    x = make_array(shape, dtype, layout, seed=seed)
    g = make_array(shape, dtype, layout, seed=seed + 1)
    out = reference.relu(x)
    for got, want in ((kernels.relu(x), out),
                      (kernels.relu_backward(g, out), reference.relu_backward(g, out))):
        assert got.dtype == x.dtype and got.shape == x.shape
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("form", ("reference",) + FORMS)
@_examples
@given(shape=SHAPES, dtype=DTYPES, layout=LAYOUTS, seed=st.integers(0, 2**16))
def test_relu_into_out_writes_there(form, shape, dtype, layout, seed):
    """`out=x` (an in-place ReLU) and a separate `out`, on every layout: out holds the
    result, and is returned."""
    kernels = kernels_of(form)
    x = make_array(shape, dtype, layout, seed=seed)
    want = reference.relu(x)
    out = make_array(shape, dtype, layout, seed=seed + 1)
    assert kernels.relu(x, out=out) is out
    np.testing.assert_array_equal(out, want)
    assert kernels.relu(x, out=x) is x
    np.testing.assert_array_equal(x, want)


def test_reference_relu_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.linspace(-3, 3, 61)                      # 0.0 itself among them
    g = np.cos(x)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.relu(tx)
    ty.backward(torch.tensor(g))
    out = reference.relu(x)
    np.testing.assert_array_equal(out, ty.detach().numpy())
    np.testing.assert_array_equal(reference.relu_backward(g, out), tx.grad.numpy())


@pytest.mark.parametrize("form", ("reference",) + FORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_special_values(form, dtype):
    torch = pytest.importorskip("torch")
    kernels = kernels_of(form)
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 1e-320, -1e-320],
                 dtype=dtype)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.relu(tx)
    ty.backward(torch.ones_like(tx))
    out = kernels.relu(x)
    np.testing.assert_array_equal(out, ty.detach().numpy())
    np.testing.assert_array_equal(np.signbit(out), np.signbit(ty.detach().numpy()))
    np.testing.assert_array_equal(kernels.relu_backward(np.ones_like(x), out), tx.grad.numpy())


@pytest.mark.parametrize("size", [MIN_RUN - 1, 2 * MIN_RUN + 1, 37 * MIN_RUN + 5])
def test_cpu_relu_runs_cover_every_element(size):
    """Sizes split into one, two and many runs (not a multiple of the run count): every
    element of the forward, the in-place forward and the gradient equals the reference."""
    kernels = kernels_of("cpu")
    x = make_array((size,), np.float32, "contiguous", seed=size)
    g = make_array((size,), np.float32, "contiguous", seed=size + 1)
    out = reference.relu(x)
    np.testing.assert_array_equal(kernels.relu(x), out)
    np.testing.assert_array_equal(kernels.relu_backward(g, out), reference.relu_backward(g, out))
    assert kernels.relu(x, out=x) is x
    np.testing.assert_array_equal(x, out)
