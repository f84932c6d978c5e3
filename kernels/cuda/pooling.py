"""Wrappers for pooling.cu (max and average pooling, forward and backward)."""
import numpy as np

from ..shapes import pair, pool_output_shape
from .loader import function, ints, launch_1d


def max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode):
    """x (N, C, H, W) -> (y, indices (int64, flat h*W + w per plane)), both (N, C, oh, ow)."""
    import cupy

    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    x = cupy.ascontiguousarray(x)
    N, C, H, W = x.shape
    oh, ow = pool_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw), bool(ceil_mode))
    y = cupy.empty((N, C, oh, ow), dtype=x.dtype)
    indices = cupy.empty((N, C, oh, ow), dtype=np.int64)
    launch_1d(function("pooling", "max_forward", x.dtype), y.size,
              (x, y, indices) + ints(N * C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow))
    return y, indices


def max_pool2d_backward(grad_out, indices, input_shape):
    """dx (N, C, H, W): each output gradient added onto the pixel its index names."""
    import cupy

    N, C, H, W = map(int, input_shape)
    grad_out = cupy.ascontiguousarray(grad_out)
    indices = cupy.ascontiguousarray(indices.astype(np.int64, copy=False))
    dx = cupy.zeros((N, C, H, W), dtype=grad_out.dtype)
    plane_out = grad_out.shape[2] * grad_out.shape[3]
    launch_1d(function("pooling", "max_backward", grad_out.dtype), grad_out.size,
              (grad_out, indices, dx) + ints(grad_out.size, plane_out, H * W))
    return dx


def avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
               divisor_override=None):
    """x (N, C, H, W) -> y (N, C, oh, ow): window sums over PyTorch's divisor."""
    import cupy

    (kh, kw), (sh, sw), (ph, pw) = map(pair, (kernel_size, stride, padding))
    x = cupy.ascontiguousarray(x)
    N, C, H, W = x.shape
    oh, ow = pool_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), 1, bool(ceil_mode))
    y = cupy.empty((N, C, oh, ow), dtype=x.dtype)
    launch_1d(function("pooling", "avg_forward", x.dtype), y.size,
              (x, y) + ints(N * C, H, W, kh, kw, sh, sw, ph, pw, oh, ow,
                            bool(count_include_pad), divisor_override or 0))
    return y


def avg_pool2d_backward(grad_out, input_shape, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override=None):
    """dx (N, C, H, W): each output gradient, over its divisor, spread over its window."""
    import cupy

    (kh, kw), (sh, sw), (ph, pw) = map(pair, (kernel_size, stride, padding))
    grad_out = cupy.ascontiguousarray(grad_out)
    N, C, H, W = map(int, input_shape)
    oh, ow = grad_out.shape[2:]
    dx = cupy.empty((N, C, H, W), dtype=grad_out.dtype)
    launch_1d(function("pooling", "avg_backward", grad_out.dtype), dx.size,
              (grad_out, dx) + ints(N * C, H, W, kh, kw, sh, sw, ph, pw, oh, ow,
                                    bool(count_include_pad), divisor_override or 0))
    return dx
