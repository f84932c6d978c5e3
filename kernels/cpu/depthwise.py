"""Direct depthwise convolution and its gradients as parallel Numba loops.

Output channel o reads input channel c = o // m (m = OC / C). The forward pass owns one
(n, o) output plane per iteration, the input gradient one (n, c) input plane (it gathers
the m output channels of c), the weight gradient one output channel o; no two iterations
write the same element. Inner loops run along ow over (strided) row views indexed from 0
(an index that may be negative costs Numba a wraparound test in every iteration).

Stride (1, 1), the common case, takes a faster path: the input plane is copied into a
zero-padded buffer of width Wp = W + 2·pw, the output is computed "wide" (rows of Wp,
the last Wp − ow columns of each row being junk that is never copied out), and then every
tap (i, j) is one long contiguous loop, ``wide[k] += w[i, j] · pad[k + i·dh·Wp + j·dw]``.
"""
import numpy as np
from numba import njit, prange

from ..shapes import conv_output_shape, pair
from ._windows import as_c, tap_range


@njit(parallel=True, cache=True)
def _forward(x, w, y, sh, sw, ph, pw, dh, dw):
    N, C, H, W = x.shape
    OC, _, kh, kw = w.shape
    oh, ow = y.shape[2], y.shape[3]
    m = OC // C
    for no in prange(N * OC):
        n = no // OC
        o = no - n * OC
        src = x[n, o // m]                              # (H, W)
        dst = y[n, o]                                   # (oh, ow)
        dst[:, :] = 0
        for oy in range(oh):
            for i in range(kh):
                iy = oy * sh - ph + i * dh
                if iy < 0 or iy >= H:
                    continue
                for j in range(kw):
                    wv = w[o, 0, i, j]
                    off = j * dw - pw
                    lo, hi = tap_range(off, sw, W, ow)  # outputs whose tap is inside
                    if hi <= lo:
                        continue
                    out = dst[oy, lo:hi]
                    inp = src[iy, lo * sw + off:(hi - 1) * sw + off + 1:sw]
                    for t in range(hi - lo):
                        out[t] += wv * inp[t]


@njit(parallel=True, cache=True)
def _grad_input(g, w, dx, sh, sw, ph, pw, dh, dw):
    N, C, H, W = dx.shape
    OC, _, kh, kw = w.shape
    oh, ow = g.shape[2], g.shape[3]
    m = OC // C
    for nc in prange(N * C):
        n = nc // C
        c = nc - n * C
        dst = dx[n, c]                                  # (H, W), owned by this iteration
        dst[:, :] = 0
        for o in range(c * m, c * m + m):
            src = g[n, o]                               # (oh, ow)
            for oy in range(oh):
                for i in range(kh):
                    iy = oy * sh - ph + i * dh
                    if iy < 0 or iy >= H:
                        continue
                    for j in range(kw):
                        wv = w[o, 0, i, j]
                        off = j * dw - pw
                        lo, hi = tap_range(off, sw, W, ow)
                        if hi <= lo:
                            continue
                        grad = src[oy, lo:hi]
                        back = dst[iy, lo * sw + off:(hi - 1) * sw + off + 1:sw]
                        for t in range(hi - lo):
                            back[t] += wv * grad[t]


@njit(parallel=True, cache=True, fastmath={"reassoc"})
def _grad_weight(x, g, dw_out, sh, sw, ph, pw, dh, dw):
    # reassoc lets LLVM vectorise the float64 dot products (only the order of the sums moves)
    N, C, H, W = x.shape
    OC, _, kh, kw = dw_out.shape
    oh, ow = g.shape[2], g.shape[3]
    m = OC // C
    for o in prange(OC):
        c = o // m
        for i in range(kh):
            for j in range(kw):
                off = j * dw - pw
                lo, hi = tap_range(off, sw, W, ow)
                acc = 0.0                               # float64 accumulator over N*oh*ow terms
                if hi > lo:
                    for n in range(N):
                        for oy in range(oh):
                            iy = oy * sh - ph + i * dh
                            if iy < 0 or iy >= H:
                                continue
                            grad = g[n, o, oy, lo:hi]
                            inp = x[n, c, iy, lo * sw + off:(hi - 1) * sw + off + 1:sw]
                            for t in range(hi - lo):
                                acc += grad[t] * inp[t]
                dw_out[o, 0, i, j] = acc


@njit(cache=True)
def _padded_plane(src, ph, pw):
    """The (H, W) plane `src` inside a zero border, flattened: (H + 2ph) * (W + 2pw)."""
    H, W = src.shape
    Wp = W + 2 * pw
    pad = np.zeros((H + 2 * ph) * Wp, dtype=src.dtype)
    for r in range(H):
        row = pad[(r + ph) * Wp + pw:(r + ph) * Wp + pw + W]
        s = src[r]
        for t in range(W):
            row[t] = s[t]
    return pad


@njit(cache=True)
def _wide_plane(plane, Wp):
    """The (oh, ow) plane laid out in rows of Wp (zeros past ow), flattened and cut after
    the last row's ow entries: (oh − 1) * Wp + ow."""
    oh, ow = plane.shape
    wide = np.zeros((oh - 1) * Wp + ow, dtype=plane.dtype)
    for r in range(oh):
        row = wide[r * Wp:r * Wp + ow]
        s = plane[r]
        for t in range(ow):
            row[t] = s[t]
    return wide


@njit(parallel=True, cache=True)
def _forward_unit_stride(x, w, y, ph, pw, dh, dw):
    N, C, H, W = x.shape
    OC, _, kh, kw = w.shape
    oh, ow = y.shape[2], y.shape[3]
    m = OC // C
    Wp = W + 2 * pw
    L = (oh - 1) * Wp + ow                              # wide output length
    for no in prange(N * OC):
        n = no // OC
        o = no - n * OC
        pad = _padded_plane(x[n, o // m], ph, pw)       # ((H+2ph) * Wp,)
        wide = np.zeros(L, dtype=x.dtype)               # output in rows of Wp
        for i in range(kh):
            for j in range(kw):
                wv = w[o, 0, i, j]
                shifted = pad[i * dh * Wp + j * dw:i * dh * Wp + j * dw + L]
                for t in range(L):
                    wide[t] += wv * shifted[t]
        dst = y[n, o]
        for r in range(oh):                             # drop the junk columns
            d = dst[r]
            s = wide[r * Wp:r * Wp + ow]
            for t in range(ow):
                d[t] = s[t]


@njit(parallel=True, cache=True)
def _grad_input_unit_stride(g, w, dx, ph, pw, dh, dw):
    N, C, H, W = dx.shape
    OC, _, kh, kw = w.shape
    m = OC // C
    Wp = W + 2 * pw
    L = (g.shape[2] - 1) * Wp + g.shape[3]
    for nc in prange(N * C):
        n = nc // C
        c = nc - n * C
        pad = np.zeros((H + 2 * ph) * Wp, dtype=dx.dtype)   # dx with its border, flattened
        for o in range(c * m, c * m + m):
            wide = _wide_plane(g[n, o], Wp)             # zeros in the junk columns
            for i in range(kh):
                for j in range(kw):
                    wv = w[o, 0, i, j]
                    shifted = pad[i * dh * Wp + j * dw:i * dh * Wp + j * dw + L]
                    for t in range(L):
                        shifted[t] += wv * wide[t]
        dst = dx[n, c]
        for r in range(H):                              # drop the border
            d = dst[r]
            s = pad[(r + ph) * Wp + pw:(r + ph) * Wp + pw + W]
            for t in range(W):
                d[t] = s[t]


@njit(parallel=True, cache=True, fastmath={"reassoc"})
def _grad_weight_unit_stride(x, g, dw_out, ph, pw, dh, dw):
    N, C, H, W = x.shape
    OC, _, kh, kw = dw_out.shape
    m = OC // C
    Wp = W + 2 * pw
    L = (g.shape[2] - 1) * Wp + g.shape[3]
    for o in prange(OC):
        acc = np.zeros(kh * kw)                         # float64 accumulators
        for n in range(N):
            pad = _padded_plane(x[n, o // m], ph, pw)
            wide = _wide_plane(g[n, o], Wp)             # zeros in the junk columns
            for i in range(kh):
                for j in range(kw):
                    shifted = pad[i * dh * Wp + j * dw:i * dh * Wp + j * dw + L]
                    total = 0.0
                    for t in range(L):
                        total += wide[t] * shifted[t]
                    acc[i * kw + j] += total
        for i in range(kh):
            for j in range(kw):
                dw_out[o, 0, i, j] = acc[i * kw + j]


def depthwise_conv2d(x, weight, stride, padding, dilation):
    """x (N, C, H, W), weight (C*m, 1, kh, kw) -> y (N, C*m, oh, ow)."""
    (sh, sw), (ph, pw), (dh, dw) = map(pair, (stride, padding, dilation))
    x = as_c(x)
    weight = as_c(weight.astype(x.dtype, copy=False))
    N, C, H, W = x.shape
    OC, _, kh, kw = weight.shape
    oh, ow = conv_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    y = np.empty((N, OC, oh, ow), dtype=x.dtype)
    if (sh, sw) == (1, 1):
        _forward_unit_stride(x, weight, y, ph, pw, dh, dw)
    else:
        _forward(x, weight, y, sh, sw, ph, pw, dh, dw)
    return y


def depthwise_conv2d_grad_input(grad_out, weight, input_shape, stride, padding, dilation):
    """dL/dx (N, C, H, W) from grad_out (N, C*m, oh, ow)."""
    (sh, sw), (ph, pw), (dh, dw) = map(pair, (stride, padding, dilation))
    grad_out = as_c(grad_out)
    weight = as_c(weight.astype(grad_out.dtype, copy=False))
    dx = np.empty(tuple(map(int, input_shape)), dtype=grad_out.dtype)
    if (sh, sw) == (1, 1):
        _grad_input_unit_stride(grad_out, weight, dx, ph, pw, dh, dw)
    else:
        _grad_input(grad_out, weight, dx, sh, sw, ph, pw, dh, dw)
    return dx


def depthwise_conv2d_grad_weight(x, grad_out, weight_shape, stride, padding, dilation):
    """dL/dw (C*m, 1, kh, kw) from x (N, C, H, W) and grad_out (N, C*m, oh, ow)."""
    (sh, sw), (ph, pw), (dh, dw) = map(pair, (stride, padding, dilation))
    x = as_c(x)
    grad_out = as_c(grad_out.astype(x.dtype, copy=False))
    dw_out = np.empty(tuple(map(int, weight_shape)), dtype=x.dtype)
    if (sh, sw) == (1, 1):
        _grad_weight_unit_stride(x, grad_out, dw_out, ph, pw, dh, dw)
    else:
        _grad_weight(x, grad_out, dw_out, sh, sw, ph, pw, dh, dw)
    return dw_out
