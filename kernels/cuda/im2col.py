"""Wrappers for im2col.cu (one thread per column entry; col2im gathers per input pixel)."""
from ..shapes import conv_output_shape, pair
from .arrays import contiguous, like_input
from .loader import indexed_function, ints, launch_1d


@like_input
def im2col(x, kernel_size, stride, padding, dilation):
    """x (N, C, H, W) -> cols (C*kh*kw, N, oh*ow), rows ordered (c, i, j)."""
    import cupy

    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    (x,) = contiguous(x.dtype, x)
    N, C, H, W = x.shape
    oh, ow = conv_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    cols = cupy.empty((C * kh * kw, N, oh * ow), dtype=x.dtype)
    geometry = ints(N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    launch_1d(indexed_function("im2col", "im2col", x.dtype, x.size, cols.size, *geometry),
              cols.size, (x, cols) + geometry)
    return cols


@like_input
def col2im(cols, input_shape, kernel_size, stride, padding, dilation):
    """cols (C*kh*kw, N, oh*ow) -> dx (N, C, H, W): each entry summed onto its pixel."""
    import cupy

    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    N, C, H, W = map(int, input_shape)
    oh, ow = conv_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    (cols,) = contiguous(cols.dtype, cols)
    dx = cupy.empty((N, C, H, W), dtype=cols.dtype)
    geometry = ints(N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    launch_1d(indexed_function("im2col", "col2im", cols.dtype, cols.size, dx.size, *geometry),
              dx.size, (cols, dx) + geometry)
    return dx
