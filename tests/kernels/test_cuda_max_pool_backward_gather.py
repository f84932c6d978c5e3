"""Max-pool backward on the GPU gathers per input pixel, without atomics: bit for bit the cpu
form's sums (same order) where many outputs name one pixel, right where an index names a
pixel outside its window, and over adaptive bins through windows that hold them."""
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_cases import cupy_or_skip, make_array

import minicnn as mc
from minicnn.kernels import cpu, reference
from minicnn.kernels.cuda import loader
from minicnn.kernels.shapes import adaptive_bins, adaptive_pool_windows

ATOMIC_CALL = re.compile(r"\batomic\w*\s*\(")


def test_no_cuda_kernel_calls_an_atomic():
    for path in sorted(loader.SOURCE_DIR.glob("*.cu")):
        assert not ATOMIC_CALL.search(loader.source(path.name)), path.name


@given(st.integers(1, 40), st.integers(1, 40))
def test_adaptive_pool_windows_hold_every_bin(size, out):
    (k, _), (s, _), (p, _) = adaptive_pool_windows((size, 1), (out, 1))
    assert s >= 1 and p >= 0
    for i, (start, stop) in enumerate(adaptive_bins(size, out)):
        assert i * s - p <= start and stop <= i * s - p + k


def _gather_matches_cpu(x, windows, ceil_mode, exact=True):
    """cuda max_pool2d_backward equals the cpu form (bit for bit where `exact`) and the
    reference on the indices of x's max pool."""
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    kernel, stride, padding, dilation = windows
    _, idx = reference.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
    g = make_array(idx.shape, x.dtype, seed=3)
    got = cuda.max_pool2d_backward(cupy.asarray(g), cupy.asarray(idx), x.shape, *windows).get()
    expected = cpu.max_pool2d_backward(g, idx, x.shape, *windows)
    assert got.dtype == expected.dtype and got.shape == x.shape
    if exact:
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(got, reference.max_pool2d_backward(g, idx, x.shape, *windows),
                               rtol=1e-5, atol=1e-6)
    return idx


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_pixel_named_by_many_windows_sums_in_the_cpu_order(dtype):
    """A 3×3 stride-1 pool over planes with a few large pixels: each is the maximum of up
    to nine windows, whose gradients the cpu form adds in output order."""
    x = make_array((2, 3, 9, 8), dtype, seed=1, untied=True)
    x[:, :, 2::4, 3::4] += 10
    idx = _gather_matches_cpu(x, ((3, 3), (1, 1), (1, 1), (1, 1)), False)
    assert np.bincount(idx.reshape(-1)).max() >= 9


@pytest.mark.gpu
def test_an_index_outside_its_window_gets_its_gradient():
    """Dilation 3 over 2 columns: a window of padding and missed columns reports a pixel
    of the next row (as PyTorch does), which no window arithmetic would look for."""
    x = make_array((1, 2, 4, 2), np.float64, seed=1, untied=True)
    windows = ((2, 2), (1, 1), (1, 1), (3, 3))
    idx = _gather_matches_cpu(x, windows, False)
    y, _ = reference.max_pool2d(x, *windows, False)
    wrapped = (y == -np.inf) & (idx < x.shape[2] * x.shape[3])
    assert wrapped.any()


@pytest.mark.gpu
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9), st.integers(1, 9))
def test_adaptive_max_pool_gradient_on_the_gpu_equals_the_cpu(H, W, oh, ow):
    cupy_or_skip()
    x = make_array((2, 3, H, W), np.float64, seed=1, untied=True)
    g = make_array((2, 3, oh, ow), np.float64, seed=2)
    grads = []
    for device in ("cpu", "cuda"):
        t = mc.tensor(x, requires_grad=True)
        y = mc.functional.adaptive_max_pool2d(t.to(device), (oh, ow))
        (y * mc.tensor(g).to(device)).sum().backward()
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])
