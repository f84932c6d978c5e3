"""conv2d as the textbook writes it: one loop over the output positions, forward and
backward, with nothing rearranged (no im2col, no transforms, no threads). It is the
"naive" algorithm of the selector (conv_select.py), never chosen on its own: force it with
`mc.conv_algorithm("naive")` to read, step through or check a convolution.

For output position (i, j) the window of the zero-padded input xp is the
(N, C/G, kh, kw) block

    xp[:, group's channels, i·sh + dh·a, j·sw + dw·b]   for a < kh, b < kw,

and every output channel of the group is that block contracted with its filter:

    y[n, o, i, j] = b[o] + Σ_{c, a, b} xp[n, c, i·sh + dh·a, j·sw + dw·b] · w[o, c, a, b].

The backward runs the same loop and sends dY[:, o, i, j] back along the same products:
dW[o] += Σₙ dY[n, o, i, j] · window[n], dXp[window] += Σ_o dY[n, o, i, j] · w[o], and
dX is dXp without its padding; db = Σ dY.
"""
from ..autograd import Function
from ..kernels.shapes import conv_output_shape
from ._common import xp


def _window(i, j, stride, dilation, kernel_size):
    """The (rows, columns) slices of the padded input that output position (i, j) reads."""
    (sh, sw), (dh, dw), (kh, kw) = stride, dilation, kernel_size
    return (slice(i * sh, i * sh + dh * (kh - 1) + 1, dh),
            slice(j * sw, j * sw + dw * (kw - 1) + 1, dw))


def _groups(groups, in_channels, out_channels):
    """Per group: (its input-channel slice, its output-channel slice)."""
    cg, og = in_channels // groups, out_channels // groups
    return [(slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)) for g in range(groups)]


class Conv2dNaive(Function):
    """y[n, o, i, j] = b[o] + Σ window(i, j)[n] · w[o], one output position at a time."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        m = xp(x)
        (ph, pw), kernel_size = padding, w.shape[2:]
        oh, ow = conv_output_shape(x.shape[2:], kernel_size, stride, padding, dilation)
        xpad = m.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        y = m.zeros((x.shape[0], w.shape[0], oh, ow), dtype=x.dtype)
        for cs, os in _groups(groups, x.shape[1], w.shape[0]):
            for i in range(oh):
                for j in range(ow):
                    rows, cols = _window(i, j, stride, dilation, kernel_size)
                    patch = xpad[:, cs, rows, cols]                        # (N, C/G, kh, kw)
                    y[:, os, i, j] = m.tensordot(patch, w[os], axes=([1, 2, 3], [1, 2, 3]))
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        ctx.save_for_backward(x, w)
        ctx.params = stride, padding, dilation, groups
        return y

    @staticmethod
    def backward(ctx, g):
        """Per output position (i, j) and group: dW[o] += Σₙ dY[n, o, i, j] · window[n],
        dXp[window] += Σ_o dY[:, o, i, j] · W[o]; dX = dXp without padding; db = Σ dY."""
        x, w = ctx.saved_arrays
        stride, (ph, pw), dilation, groups = ctx.params
        m = xp(g)
        N, C, H, W = x.shape
        kernel_size = w.shape[2:]
        xpad = m.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        dxpad = m.zeros_like(xpad)
        dw = m.zeros_like(w)
        for cs, os in _groups(groups, C, w.shape[0]):
            for i in range(g.shape[2]):
                for j in range(g.shape[3]):
                    rows, cols = _window(i, j, stride, dilation, kernel_size)
                    gy = g[:, os, i, j]                                    # (N, OC/G)
                    dw[os] += m.tensordot(gy, xpad[:, cs, rows, cols], axes=([0], [0]))
                    dxpad[:, cs, rows, cols] += m.tensordot(gy, w[os], axes=([1], [0]))
        need_x, need_w, need_b = ctx.needs_input_grad
        return (dxpad[:, :, ph:ph + H, pw:pw + W].copy() if need_x else None,
                dw if need_w else None,
                g.sum(axis=(0, 2, 3)) if need_b else None)
