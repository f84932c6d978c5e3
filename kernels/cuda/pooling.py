"""Wrappers for pooling.cu (max and average pooling, forward and backward)."""
import numpy as np

from ..shapes import pair, pool_output_shape
from .arrays import contiguous, like_input
from .loader import function, indexed_function, ints, launch_1d


@like_input
def max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode):
    """x (N, C, H, W) -> (y, indices (int64, flat h*W + w per plane)), both (N, C, oh, ow)."""
    import cupy

    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    (x,) = contiguous(x.dtype, x)
    N, C, H, W = x.shape
    oh, ow = pool_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw), bool(ceil_mode))
    y = cupy.empty((N, C, oh, ow), dtype=x.dtype)
    indices = cupy.empty((N, C, oh, ow), dtype=np.int64)
    geometry = ints(N * C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    launch_1d(indexed_function("pooling", "max_forward", x.dtype, x.size, y.size, *geometry),
              y.size, (x, y, indices) + geometry)
    return y, indices


def _holds_no_column(W, kw, sw, pw, dw, ow):
    """Whether some window's dilated taps all miss the columns 0 .. W−1 (possible with
    dilation > W). Its index, h0·W + w0 with w0 past the last column, names a pixel of a
    later row, as PyTorch's does: a pixel outside the window."""
    starts = (o * sw - pw for o in range(min(ow, -(-pw // sw))))   # windows starting left of 0
    return any(start + (-start + dw - 1) // dw * dw >= W for start in starts)


def _gather_windows(input_hw, out_hw, kernel_size, stride, padding, dilation):
    """(kh, kw), (sh, sw), (ph, pw), (dh, dw) of windows that hold every pixel an output's
    index can name: the pooling windows, or, where an index can fall outside its window,
    windows of all the outputs on each axis (size + out − 1 wide, stride 1)."""
    windows = tuple(map(pair, (kernel_size, stride, padding, dilation)))
    (_, kw), (_, sw), (_, pw), (_, dw) = windows
    if not _holds_no_column(input_hw[1], kw, sw, pw, dw, out_hw[1]):
        return windows
    kernel = tuple(n + o - 1 for n, o in zip(input_hw, out_hw))
    return kernel, (1, 1), tuple(o - 1 for o in out_hw), (1, 1)


@like_input
def max_pool2d_backward(grad_out, indices, input_shape, kernel_size, stride, padding, dilation):
    """dx (N, C, H, W): each output gradient added onto the pixel its index names. One
    thread per input pixel gathers the outputs whose windows (kernel_size, stride, padding,
    dilation: the forward's, or any that hold them) can hold it, in the order the other
    forms add them."""
    import cupy

    kernel = function("pooling", "max_backward", grad_out.dtype)
    N, C, H, W = map(int, input_shape)
    oh, ow = grad_out.shape[2:]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _gather_windows(
        (H, W), (oh, ow), kernel_size, stride, padding, dilation)
    (grad_out,) = contiguous(grad_out.dtype, grad_out)
    (indices,) = contiguous(np.int64, indices)
    dx = cupy.empty((N, C, H, W), dtype=grad_out.dtype)
    launch_1d(kernel, dx.size,
              (grad_out, indices, dx) + ints(N * C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow))
    return dx


@like_input
def avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
               divisor_override=None):
    """x (N, C, H, W) -> y (N, C, oh, ow): window sums over PyTorch's divisor."""
    import cupy

    (kh, kw), (sh, sw), (ph, pw) = map(pair, (kernel_size, stride, padding))
    (x,) = contiguous(x.dtype, x)
    N, C, H, W = x.shape
    oh, ow = pool_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), 1, bool(ceil_mode))
    y = cupy.empty((N, C, oh, ow), dtype=x.dtype)
    geometry = ints(N * C, H, W, kh, kw, sh, sw, ph, pw, oh, ow, bool(count_include_pad),
                    divisor_override or 0)
    launch_1d(indexed_function("pooling", "avg_forward", x.dtype, x.size, y.size, *geometry),
              y.size, (x, y) + geometry)
    return y


@like_input
def avg_pool2d_backward(grad_out, input_shape, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override=None):
    """dx (N, C, H, W): each output gradient, over its divisor, spread over its window."""
    import cupy

    (kh, kw), (sh, sw), (ph, pw) = map(pair, (kernel_size, stride, padding))
    (grad_out,) = contiguous(grad_out.dtype, grad_out)
    N, C, H, W = map(int, input_shape)
    oh, ow = grad_out.shape[2:]
    dx = cupy.empty((N, C, H, W), dtype=grad_out.dtype)
    geometry = ints(N * C, H, W, kh, kw, sh, sw, ph, pw, oh, ow, bool(count_include_pad),
                    divisor_override or 0)
    launch_1d(indexed_function("pooling", "avg_backward", grad_out.dtype, grad_out.size,
                               dx.size, *geometry), dx.size, (grad_out, dx) + geometry)
    return dx
