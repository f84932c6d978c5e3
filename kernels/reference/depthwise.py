"""Direct depthwise convolution (groups == C) and its two gradients, without im2col.

The weight has shape (C*m, 1, kh, kw): each input channel c feeds m output channels
c*m .. c*m + m-1, so output channel o reads input channel o // m. Repeating every input
channel m times turns the layer into a per-channel product::

    y[n, o, oy, ox] = Σ_ij  w[o, 0, i, j] · x_pad[n, o // m, oy*sh + i*dh, ox*sw + j*dw]
"""
from ..shapes import conv_output_shape, pair
from ._xp import xp_of


def _taps(kernel_size, stride, padding, dilation, input_hw):
    """Every kernel tap (i, j) with the strided slices of the padded input it reads."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    oh, ow = conv_output_shape(input_hw, (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
            yield i, j, rows, cols


def depthwise_conv2d(x, weight, stride, padding, dilation):
    """x (N, C, H, W), weight (C*m, 1, kh, kw) -> y (N, C*m, oh, ow)."""
    xp = xp_of(x)
    N, C, H, W = x.shape
    OC, _, kh, kw = weight.shape
    (ph, pw) = pair(padding)
    x_pad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    x_rep = xp.repeat(x_pad, OC // C, axis=1)                         # (N, OC, Hp, Wp)
    oh, ow = conv_output_shape((H, W), (kh, kw), stride, padding, dilation)
    y = xp.zeros((N, OC, oh, ow), dtype=x.dtype)
    for i, j, rows, cols in _taps((kh, kw), stride, padding, dilation, (H, W)):
        y += weight[:, 0, i, j][None, :, None, None] * x_rep[:, :, rows, cols]
    return y


def depthwise_conv2d_grad_input(grad_out, weight, input_shape, stride, padding, dilation):
    """dL/dx (N, C, H, W): every output gradient times its weight, summed back onto the
    pixel it read and over the m output channels of each input channel."""
    xp = xp_of(grad_out)
    N, C, H, W = input_shape
    OC, _, kh, kw = weight.shape
    (ph, pw) = pair(padding)
    dx_rep = xp.zeros((N, OC, H + 2 * ph, W + 2 * pw), dtype=grad_out.dtype)  # (N, OC, Hp, Wp)
    for i, j, rows, cols in _taps((kh, kw), stride, padding, dilation, (H, W)):
        dx_rep[:, :, rows, cols] += weight[:, 0, i, j][None, :, None, None] * grad_out
    dx_pad = dx_rep.reshape(N, C, OC // C, H + 2 * ph, W + 2 * pw).sum(axis=2)  # (N, C, Hp, Wp)
    return xp.ascontiguousarray(dx_pad[:, :, ph:ph + H, pw:pw + W])


def depthwise_conv2d_grad_weight(x, grad_out, weight_shape, stride, padding, dilation):
    """dL/dw (C*m, 1, kh, kw): dw[o, 0, i, j] = Σ_n,oy,ox  g[n, o, oy, ox] · (tap (i, j) of x)."""
    xp = xp_of(x)
    N, C, H, W = x.shape
    OC, _, kh, kw = weight_shape
    (ph, pw) = pair(padding)
    x_pad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    x_rep = xp.repeat(x_pad, OC // C, axis=1)                         # (N, OC, Hp, Wp)
    dw = xp.zeros(weight_shape, dtype=x.dtype)
    for i, j, rows, cols in _taps((kh, kw), stride, padding, dilation, (H, W)):
        dw[:, 0, i, j] = (grad_out * x_rep[:, :, rows, cols]).sum(axis=(0, 2, 3))
    return dw
