"""ReLU and its gradient: the cpu form equals the reference on hypothesis-drawn arrays and
layouts, the reference equals PyTorch's relu (forward and gradient through autograd), and
NaN, ±0 and ±∞ come out as PyTorch's do."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import array_shapes

from kernel_cases import DTYPES, LAYOUTS, make_array
from minicnn.kernels import cpu, reference


@given(array_shapes(max_dims=4, max_side=9), DTYPES, LAYOUTS, st.integers(0, 2**16))
def test_cpu_relu_equals_reference(shape, dtype, layout, seed):
    x = make_array(shape, dtype, layout, seed=seed)
    g = make_array(shape, dtype, layout, seed=seed + 1)
    out = reference.relu(x)
    for got, want in ((cpu.relu(x), out), (cpu.relu_backward(g, out), reference.relu_backward(g, out))):
        assert got.dtype == x.dtype and got.shape == x.shape
        np.testing.assert_array_equal(got, want)


@given(array_shapes(max_dims=4, max_side=9), DTYPES, LAYOUTS, st.integers(0, 2**16))
def test_relu_into_out_writes_there(shape, dtype, layout, seed):
    """`out=x` (an in-place ReLU) on every layout: x holds the result, and is returned."""
    for form in (cpu, reference):
        x = make_array(shape, dtype, layout, seed=seed)
        want = reference.relu(x)
        assert form.relu(x, out=x) is x
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


@pytest.mark.parametrize("form", [cpu, reference], ids=["cpu", "reference"])
def test_relu_special_values(form):
    torch = pytest.importorskip("torch")
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45], dtype=np.float32)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.relu(tx)
    ty.backward(torch.ones_like(tx))
    out = form.relu(x)
    np.testing.assert_array_equal(out, ty.detach().numpy())
    np.testing.assert_array_equal(form.relu_backward(np.ones_like(x), out), tx.grad.numpy())


@pytest.mark.gpu
def test_cuda_relu_equals_reference():
    cupy = pytest.importorskip("cupy")
    from minicnn.kernels import cuda

    for dtype in (np.float32, np.float64):
        x = make_array((3, 5, 7), dtype, "transposed")
        x.reshape(-1)[:3] = (np.nan, 0.0, -np.inf)
        g = make_array((3, 5, 7), dtype, seed=1)
        out = reference.relu(x)
        np.testing.assert_array_equal(cuda.relu(cupy.asarray(x)).get(), out)
        into = cupy.asarray(x)
        assert cuda.relu(into, out=into) is into
        np.testing.assert_array_equal(into.get(), out)
        np.testing.assert_array_equal(
            cuda.relu_backward(cupy.asarray(g), cupy.asarray(out)).get(),
            reference.relu_backward(g, out))
