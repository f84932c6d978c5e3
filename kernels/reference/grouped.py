"""Direct grouped convolution and its two gradients, without im2col.

The weight has shape (OC, Cg, kh, kw) with G groups: input channels g·Cg .. g·Cg + Cg-1
feed output channels g·OCg .. g·OCg + OCg-1 (OCg = OC / G) alone. Depthwise convolution is
the case Cg = 1. Per group, every tap (i, j) of the kernel is one small matrix product
over the group's channels::

    y[n, g, k, oy, ox] = Σ_c,i,j  w[g, k, c, i, j] · x_pad[n, g, c, oy*sh + i*dh, ox*sw + j*dw]
"""
from ..shapes import conv_output_shape, pair
from ._xp import xp_of
from .depthwise import _taps


def _grouped(a, G):
    """(N, G·k, *rest) -> (N, G, k, *rest), a view."""
    return a.reshape((a.shape[0], G, a.shape[1] // G) + a.shape[2:])


def _padded(x, padding):
    (ph, pw) = pair(padding)
    return xp_of(x).pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def grouped_conv2d(x, weight, stride, padding, dilation, groups):
    """x (N, C, H, W), weight (OC, C / groups, kh, kw) -> y (N, OC, oh, ow)."""
    xp = xp_of(x)
    N, C, H, W = x.shape
    OC, _, kh, kw = weight.shape
    xg = _grouped(_padded(x, padding), groups)                         # (N, G, Cg, Hp, Wp)
    wg = weight.reshape((groups, OC // groups) + weight.shape[1:])     # (G, OCg, Cg, kh, kw)
    oh, ow = conv_output_shape((H, W), (kh, kw), stride, padding, dilation)
    y = xp.zeros((N, groups, OC // groups, oh, ow), dtype=x.dtype)
    for i, j, rows, cols in _taps((kh, kw), stride, padding, dilation, (H, W)):
        y += xp.einsum("gkc,ngcyx->ngkyx", wg[..., i, j], xg[..., rows, cols])
    return y.reshape(N, OC, oh, ow)


def grouped_conv2d_grad_input(grad_out, weight, input_shape, stride, padding, dilation,
                              groups):
    """dL/dx (N, C, H, W): every output gradient times its weights, summed back onto the
    pixels of its group's channels that it read."""
    xp = xp_of(grad_out)
    N, C, H, W = map(int, input_shape)
    OC, _, kh, kw = weight.shape
    (ph, pw) = pair(padding)
    gg = _grouped(grad_out, groups)                                    # (N, G, OCg, oh, ow)
    wg = weight.reshape((groups, OC // groups) + weight.shape[1:])     # (G, OCg, Cg, kh, kw)
    dx_pad = xp.zeros((N, groups, C // groups, H + 2 * ph, W + 2 * pw), dtype=grad_out.dtype)
    for i, j, rows, cols in _taps((kh, kw), stride, padding, dilation, (H, W)):
        dx_pad[..., rows, cols] += xp.einsum("gkc,ngkyx->ngcyx", wg[..., i, j], gg)
    return xp.ascontiguousarray(dx_pad.reshape(N, C, H + 2 * ph, W + 2 * pw)
                                [:, :, ph:ph + H, pw:pw + W])


def grouped_conv2d_grad_weight(x, grad_out, weight_shape, stride, padding, dilation, groups):
    """dL/dw (OC, Cg, kh, kw): dw[g·OCg + k, c, i, j] = Σ_n,oy,ox  g[n, g, k, oy, ox] ·
    (tap (i, j) of x[n, g, c])."""
    xp = xp_of(x)
    N, C, H, W = x.shape
    OC, Cg, kh, kw = map(int, weight_shape)
    xg = _grouped(_padded(x, padding), groups)                         # (N, G, Cg, Hp, Wp)
    gg = _grouped(grad_out, groups)                                    # (N, G, OCg, oh, ow)
    dw = xp.zeros((groups, OC // groups, Cg, kh, kw), dtype=x.dtype)
    for i, j, rows, cols in _taps((kh, kw), stride, padding, dilation, (H, W)):
        dw[..., i, j] = xp.einsum("ngkyx,ngcyx->gkc", gg, xg[..., rows, cols])
    return dw.reshape(OC, Cg, kh, kw)
