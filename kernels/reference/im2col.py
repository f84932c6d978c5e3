"""im2col / col2im: turn a convolution into one matrix product.

im2col copies every window of the (zero-padded) input into a column, so that with
``W`` of shape (OC, C, kh, kw)::

    y = W.reshape(OC, -1) @ im2col(x).reshape(C*kh*kw, -1)   # (OC, N*oh*ow)

The columns of a batch sit side by side, (C*kh*kw, N, oh*ow), so one GEMM covers a whole
batch chunk; for a single image the product is already that image's NCHW rows.

col2im is its adjoint: every column entry is added back onto the input pixel it was
copied from (pixels read by several windows collect several contributions). It turns the
column gradient ``Wᵀ · dY`` into the input gradient.
"""
from ..shapes import conv_output_shape, pair
from ._xp import xp_of


def _window_slice(i, dilation, stride, out):
    """The padded-input positions that kernel tap `i` reads for outputs 0 .. out-1."""
    start = i * dilation
    return slice(start, start + stride * (out - 1) + 1, stride)


def im2col(x, kernel_size, stride, padding, dilation):
    """x (N, C, H, W) -> cols (C*kh*kw, N, oh*ow), rows ordered (c, i, j)."""
    xp = xp_of(x)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    N, C, H, W = x.shape
    oh, ow = conv_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    x_pad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))          # (N, C, H+2ph, W+2pw)
    cols = xp.empty((C, kh, kw, N, oh, ow), dtype=x.dtype)            # (C, kh, kw, N, oh, ow)
    for i in range(kh):
        for j in range(kw):
            # tap (i, j) of every window at once: a strided view of the padded input
            rows, columns = _window_slice(i, dh, sh, oh), _window_slice(j, dw, sw, ow)
            cols[:, i, j] = x_pad[:, :, rows, columns].swapaxes(0, 1)    # (C, N, oh, ow)
    return cols.reshape(C * kh * kw, N, oh * ow)


def col2im(cols, input_shape, kernel_size, stride, padding, dilation):
    """cols (C*kh*kw, N, oh*ow) -> dx (N, C, H, W): each entry summed onto its source pixel."""
    xp = xp_of(cols)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    N, C, H, W = input_shape
    oh, ow = conv_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    cols = cols.reshape(C, kh, kw, N, oh, ow)                          # (C, kh, kw, N, oh, ow)
    dx_pad = xp.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            # within one tap every window reads a different pixel, so += never collides
            rows, columns = _window_slice(i, dh, sh, oh), _window_slice(j, dw, sw, ow)
            dx_pad[:, :, rows, columns] += cols[:, i, j].swapaxes(0, 1)
    return xp.ascontiguousarray(dx_pad[:, :, ph:ph + H, pw:pw + W])    # drop the padding
