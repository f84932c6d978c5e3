"""The exact GELU and its gradient: the cpu form equals the reference, the reference equals
PyTorch's gelu (forward and gradient through autograd)."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from minicnn.kernels import cpu, reference

VALUES = st.floats(-8, 8, width=32)


@given(arrays(st.sampled_from([np.float32, np.float64]), array_shapes(max_dims=3, max_side=7),
              elements=VALUES))
def test_cpu_gelu_equals_reference(x):
    g = np.linspace(-2, 2, x.size).reshape(x.shape).astype(x.dtype)
    for got, want in ((cpu.gelu(x), reference.gelu(x)),
                      (cpu.gelu_backward(x, g), reference.gelu_backward(x, g))):
        assert got.dtype == x.dtype and got.shape == x.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_reference_gelu_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.linspace(-6, 6, 241)
    g = np.cos(x)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.gelu(tx)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(reference.gelu(x), ty.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(reference.gelu_backward(x, g), tx.grad.numpy(), rtol=1e-12,
                               atol=1e-14)


def test_cpu_gelu_on_non_contiguous_input():
    x = np.linspace(-3, 3, 24).reshape(4, 6).T
    g = np.ones((4, 6)).T
    np.testing.assert_allclose(cpu.gelu(x), reference.gelu(x), rtol=1e-12)
    np.testing.assert_allclose(cpu.gelu_backward(x, g), reference.gelu_backward(x, g), rtol=1e-12)


@pytest.mark.gpu
def test_cuda_gelu_equals_reference():
    cupy = pytest.importorskip("cupy")
    from minicnn.kernels import cuda

    x = np.linspace(-6, 6, 1001)
    g = np.sin(x)
    for dtype in (np.float32, np.float64):
        xd, gd = x.astype(dtype), g.astype(dtype)
        np.testing.assert_allclose(cuda.gelu(cupy.asarray(xd)).get(), reference.gelu(xd),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(cuda.gelu_backward(cupy.asarray(xd), cupy.asarray(gd)).get(),
                                   reference.gelu_backward(xd, gd), rtol=1e-5, atol=1e-6)
