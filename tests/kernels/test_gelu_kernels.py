"""The exact GELU and its gradient: the cpu and cuda forms equal the reference (sizes
around the cuda launch's blocks, layouts, special values too), the reference equals
PyTorch's gelu (forward and gradient through autograd), and the cpu form's float32 series
(vectorisable erfc and exp) stays within a few float32 ulps of the float64 values, tails
and special values included."""
import math

import numpy as np
import pytest
from hypothesis import example, given, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from kernel_cases import BLOCK_EDGES, FORMS, kernels_of
from minicnn.kernels import cpu, reference

VALUES = st.floats(-8, 8, width=32)


def tolerance(dtype):
    """float32: the cpu form's series is within about 20 ulps; float64: libm's erfc and exp
    in every form."""
    return dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)


def _examples(test):
    for n in BLOCK_EDGES:
        test = example(x=np.linspace(-8, 8, n).astype(np.float32))(test)
    return example(x=np.linspace(-8, 8, 1031))(test)


@pytest.mark.parametrize("form", FORMS)
@_examples
@given(x=arrays(st.sampled_from([np.float32, np.float64]),
                array_shapes(max_dims=3, max_side=7), elements=VALUES))
def test_gelu_forms_equal_reference(form, x):
    kernels = kernels_of(form)
    g = np.linspace(-2, 2, x.size).reshape(x.shape).astype(x.dtype)
    for got, want in ((kernels.gelu(x), reference.gelu(x)),
                      (kernels.gelu_backward(x, g), reference.gelu_backward(x, g))):
        assert got.dtype == x.dtype and got.shape == x.shape
        np.testing.assert_allclose(got, want, **tolerance(x.dtype))


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


@pytest.mark.parametrize("form", FORMS)
def test_gelu_on_non_contiguous_input(form):
    kernels = kernels_of(form)
    x = np.linspace(-3, 3, 24).reshape(4, 6).T
    g = np.linspace(-1, 1, 48).reshape(6, 8)[:, ::2]
    np.testing.assert_allclose(kernels.gelu(x), reference.gelu(x), rtol=1e-12)
    np.testing.assert_allclose(kernels.gelu_backward(x, g), reference.gelu_backward(x, g),
                               rtol=1e-12)


def _exact(x):
    """GELU and its derivative in float64 from math.erfc (no cancellation in the tail)."""
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return x * cdf, cdf + x * pdf


def test_cpu_float32_gelu_is_accurate_over_the_whole_range():
    x = np.concatenate([np.linspace(-14, 14, 200001), -np.geomspace(1e-8, 14, 2001),
                        np.geomspace(1e-8, 14, 2001)]).astype(np.float32)
    value, slope = _exact(x.astype(np.float64))
    got = cpu.gelu(x).astype(np.float64)
    grad = cpu.gelu_backward(x, np.ones_like(x)).astype(np.float64)
    relative = np.abs(got - value) / np.maximum(np.abs(value), 1e-300)
    assert relative[np.abs(x) <= 6].max() < 6e-6       # about 20 float32 ulps at most
    assert relative[np.abs(value) > 1e-30].max() < 3e-5  # the far tail (x ≈ −11): z² rounding
    assert np.abs(got - value).max() < 1e-6
    assert np.abs(grad - slope).max() < 1e-6            # GELU' crosses 0: absolute error


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_special_values(form, dtype):
    kernels = kernels_of(form)
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -200.0, 200.0], dtype=dtype)
    y = kernels.gelu(x)
    assert np.isnan(y[0]) and y[1] == np.inf and np.isnan(y[2])   # −∞·Φ(−∞) = −∞·0, as torch
    np.testing.assert_array_equal(y[3:], [0.0, 0.0, 0.0, 200.0])
    dy = kernels.gelu_backward(x, np.ones_like(x))
    assert np.isnan(dy[0])
    np.testing.assert_allclose(dy[[3, 5, 6]], [0.5, 0.0, 1.0], rtol=1e-6, atol=0)
