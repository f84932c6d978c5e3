"""Max and average pooling over NCHW planes, forward and backward.

Every pooling output reads one window of its input plane. Both forms here pad the
input (with −inf for max, 0 for average), far enough on the right for the extra window
of ``ceil_mode``, and visit the kh·kw taps of all windows at once as strided views.
"""
from ..dtypes import lowest
from ..shapes import avg_pool_divisors, pair, pool_output_shape
from ._xp import xp_of


def _taps(kernel_size, stride, dilation, out_hw):
    """Every kernel tap (i, j) with the strided slices of the padded input it reads."""
    (kh, kw), (sh, sw), (dh, dw) = map(pair, (kernel_size, stride, dilation))
    oh, ow = out_hw
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
            yield i, j, rows, cols


def _pad(a, value, padding, kernel_size, stride, dilation, out_hw):
    """`a` (..., H, W) padded by `padding` on each side and, on the right and bottom, as
    far as the last window (of ceil_mode) reaches."""
    xp = xp_of(a)
    H, W = a.shape[-2:]
    widths = []
    for size, k, s, p, d, out in zip((H, W), pair(kernel_size), pair(stride), pair(padding),
                                     pair(dilation), out_hw):
        reach = (out - 1) * s + d * (k - 1) + 1          # padded positions the windows cover
        widths.append((p, max(p, reach - size - p)))
    return xp.pad(a, [(0, 0)] * (a.ndim - 2) + widths, constant_values=value)


def max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode):
    """x (N, C, H, W) -> (y, indices), both (N, C, oh, ow); indices (int64) are flat
    positions h*W + w in each input plane. Padding counts as −inf; the first maximum wins."""
    xp = xp_of(x)
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    out_hw = pool_output_shape((H, W), kernel_size, stride, padding, dilation, ceil_mode)
    pads = (padding, kernel_size, stride, dilation, out_hw)
    least = lowest(x.dtype)                                            # −inf, or the least int
    x_pad = _pad(x, least, *pads)                                      # (N, C, Hp, Wp)
    Hp, Wp = x_pad.shape[-2:]
    started = (xp.arange(Hp)[:, None] >= ph) & (xp.arange(Wp)[None, :] >= pw)  # (Hp, Wp)
    taps = list(_taps(kernel_size, stride, dilation, out_hw))
    windows = xp.stack([x_pad[:, :, r, c] for _, _, r, c in taps], axis=2)  # (N, C, kh*kw, oh, ow)
    tap = windows.argmax(axis=2)                                       # (N, C, oh, ow)
    # a window whose real pixels are all −inf (or, with dilation, that holds none): like
    # PyTorch, report its first tap past the top and left padding
    first = xp.stack([started[r, c] for _, _, r, c in taps], axis=0).argmax(axis=0)  # (oh, ow)
    tap = xp.where(windows.max(axis=2) == least, first, tap)
    y = xp.take_along_axis(windows, tap[:, :, None], axis=2)[:, :, 0]  # (N, C, oh, ow)
    h = xp.arange(out_hw[0])[:, None] * sh - ph + (tap // kw) * dh     # input row of the max
    w = xp.arange(out_hw[1])[None, :] * sw - pw + (tap % kw) * dw      # input column of the max
    return y, (h * W + w).astype(xp.int64)


def max_pool2d_backward(grad_out, indices, input_shape, kernel_size, stride, padding, dilation):
    """dx (N, C, H, W): each output gradient added onto the input pixel that was its max, in
    output order. The windows (kernel_size ... dilation) go unused here: the indices say
    where each gradient goes; the cuda form, which gathers per pixel, reads them."""
    xp = xp_of(grad_out)
    N, C, H, W = input_shape
    dx = xp.zeros((N * C, H * W), dtype=grad_out.dtype)                # one row per plane
    planes = xp.arange(N * C)[:, None]                                 # (N*C, 1)
    indices = indices.reshape(N * C, -1)
    grad_out = grad_out.reshape(N * C, -1)
    # a window over padding alone (possible with dilation) points past its plane: skip it
    inside = indices < H * W
    xp.add.at(dx, (planes, xp.where(inside, indices, 0)), xp.where(inside, grad_out, 0))
    return dx.reshape(N, C, H, W)


def _divisor(input_hw, kernel_size, stride, padding, out_hw, count_include_pad,
             divisor_override, xp, dtype):
    """(oh, ow) numbers each window's sum is divided by, by PyTorch's rules."""
    rows, cols = avg_pool_divisors(input_hw, kernel_size, stride, padding, out_hw,
                                   count_include_pad, divisor_override)
    return xp.asarray(rows, dtype=dtype)[:, None] * xp.asarray(cols, dtype=dtype)[None, :]


def avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
               divisor_override=None):
    """x (N, C, H, W) -> y (N, C, oh, ow): window sums over PyTorch's divisor."""
    xp = xp_of(x)
    H, W = x.shape[-2:]
    out_hw = pool_output_shape((H, W), kernel_size, stride, padding, 1, ceil_mode)
    x_pad = _pad(x, 0, padding, kernel_size, stride, 1, out_hw)        # (N, C, Hp, Wp)
    total = sum(x_pad[:, :, r, c] for _, _, r, c in _taps(kernel_size, stride, 1, out_hw))
    return total / _divisor((H, W), kernel_size, stride, padding, out_hw, count_include_pad,
                            divisor_override, xp, x.dtype)


def avg_pool2d_backward(grad_out, input_shape, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override=None):
    """dx (N, C, H, W): each output gradient, over its divisor, spread over its window."""
    xp = xp_of(grad_out)
    N, C, H, W = input_shape
    out_hw = tuple(grad_out.shape[-2:])
    g = grad_out / _divisor((H, W), kernel_size, stride, padding, out_hw, count_include_pad,
                            divisor_override, xp, grad_out.dtype)      # (N, C, oh, ow)
    dx_pad = _pad(xp.zeros(input_shape, dtype=grad_out.dtype), 0, padding, kernel_size, stride,
                  1, out_hw)                                            # (N, C, Hp, Wp)
    for _, _, r, c in _taps(kernel_size, stride, 1, out_hw):
        dx_pad[:, :, r, c] += g
    ph, pw = pair(padding)
    return xp.ascontiguousarray(dx_pad[:, :, ph:ph + H, pw:pw + W])
