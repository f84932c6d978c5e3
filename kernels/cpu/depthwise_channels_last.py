"""Depthwise convolution (one output channel per input channel) and its gradients on small
maps, channels last, one image per iteration of a parallel loop.

On MobileNet's 8×8 to 2×2 maps the planes are too short for the per-channel loops of
depthwise.py: each channel's iteration there costs more in setup than in arithmetic (a 2×2
map gives a channel at most 36 multiply-adds an image). Here each image is
first copied into a zero-padded (Hp, Wp, C) buffer, so that every (output pixel, tap) pair
is one multiply-add over C contiguous channels, a loop as long as the layer is wide:

    y[oy, ox, :] += w[i, j, :] · x_pad[oy·sh + i·dh, ox·sw + j·dw, :]

The input gradient scatters the same products back onto a padded buffer; the weight
gradient sums g[oy, ox, :] · x_pad[...] per tap, each thread over its own run of images
(float64 between images).
"""
import numpy as np
from numba import njit, prange

from ._runs import reduction_runs


@njit(cache=True)
def _padded_channels_last(plane_stack, ph, pw):
    """(C, H, W) -> zero-padded (H + 2ph, W + 2pw, C)."""
    C, H, W = plane_stack.shape
    out = np.zeros((H + 2 * ph, W + 2 * pw, C), dtype=plane_stack.dtype)
    for iy in range(H):
        for ix in range(W):
            pixel = out[iy + ph, ix + pw]
            for c in range(C):
                pixel[c] = plane_stack[c, iy, ix]
    return out


@njit(cache=True)
def _store_channels_first(pixels, dst, top, left):
    """dst (C, h, w) = pixels[top:top + h, left:left + w, :] laid out channels first."""
    C, h, w = dst.shape
    for oy in range(h):
        for ox in range(w):
            pixel = pixels[top + oy, left + ox]
            for c in range(C):
                dst[c, oy, ox] = pixel[c]


@njit(inline="always")
def _madd(acc, a, b):
    """acc += a · b over C channels."""
    for c in range(acc.shape[0]):
        acc[c] += a[c] * b[c]


@njit(parallel=True, cache=True)
def _forward(x, w, y, sh, sw, ph, pw, dh, dw):
    # x (N, C, H, W), w (kh, kw, C), y (N, C, oh, ow)
    N, C = x.shape[:2]
    kh, kw = w.shape[:2]
    oh, ow = y.shape[2], y.shape[3]
    for n in prange(N):
        xp = _padded_channels_last(x[n], ph, pw)                  # (Hp, Wp, C)
        out = np.zeros((oh, ow, C), dtype=x.dtype)                # (oh, ow, C)
        for oy in range(oh):
            for ox in range(ow):
                for i in range(kh):
                    for j in range(kw):
                        _madd(out[oy, ox], w[i, j], xp[oy * sh + i * dh, ox * sw + j * dw])
        _store_channels_first(out, y[n], 0, 0)


@njit(parallel=True, cache=True)
def _grad_input(g, w, dx, sh, sw, ph, pw, dh, dw):
    # g (N, C, oh, ow), w (kh, kw, C), dx (N, C, H, W)
    N, C, H, W = dx.shape
    kh, kw = w.shape[:2]
    oh, ow = g.shape[2], g.shape[3]
    for n in prange(N):
        gl = _padded_channels_last(g[n], 0, 0)                    # (oh, ow, C)
        dxp = np.zeros((H + 2 * ph, W + 2 * pw, C), dtype=g.dtype)  # (Hp, Wp, C)
        for oy in range(oh):
            for ox in range(ow):
                for i in range(kh):
                    for j in range(kw):
                        _madd(dxp[oy * sh + i * dh, ox * sw + j * dw], w[i, j], gl[oy, ox])
        _store_channels_first(dxp, dx[n], ph, pw)


@njit(parallel=True, cache=True)
def _grad_weight(x, g, dw_out, sh, sw, ph, pw, dh, dw, runs):
    # x (N, C, H, W), g (N, C, oh, ow), dw_out (C, 1, kh, kw)
    N, C = x.shape[:2]
    kh, kw = dw_out.shape[2:]
    oh, ow = g.shape[2], g.shape[3]
    sums = np.zeros((runs, kh, kw, C))                            # float64, one per run
    for r in prange(runs):
        image = np.empty((kh, kw, C), dtype=x.dtype)              # one image's sums
        for n in range(r * N // runs, (r + 1) * N // runs):
            xp = _padded_channels_last(x[n], ph, pw)              # (Hp, Wp, C)
            gl = _padded_channels_last(g[n], 0, 0)                # (oh, ow, C)
            image[:] = 0
            for oy in range(oh):
                for ox in range(ow):
                    for i in range(kh):
                        for j in range(kw):
                            _madd(image[i, j], gl[oy, ox], xp[oy * sh + i * dh, ox * sw + j * dw])
            for i in range(kh):
                for j in range(kw):
                    for c in range(C):
                        sums[r, i, j, c] += image[i, j, c]
    for c in range(C):
        for i in range(kh):
            for j in range(kw):
                total = 0.0
                for r in range(runs):
                    total += sums[r, i, j, c]
                dw_out[c, 0, i, j] = total


def _taps_last(weight):
    """(C, 1, kh, kw) -> (kh, kw, C), contiguous."""
    return np.ascontiguousarray(weight[:, 0].transpose(1, 2, 0))


# The entry points take C-contiguous arrays and (h, w) pairs; each fills and returns its
# output argument.
def forward(x, weight, y, stride, padding, dilation):
    _forward(x, _taps_last(weight), y, *stride, *padding, *dilation)
    return y


def grad_input(grad_out, weight, dx, stride, padding, dilation):
    _grad_input(grad_out, _taps_last(weight), dx, *stride, *padding, *dilation)
    return dx


def grad_weight(x, grad_out, dw_out, stride, padding, dilation):
    runs = reduction_runs(x.shape[0])
    _grad_weight(x, grad_out, dw_out, *stride, *padding, *dilation, runs)
    return dw_out
