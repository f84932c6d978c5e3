"""im2col / col2im as serial Numba loops over (n, c) planes (and kernel rows) that release
the GIL: functional/conv.py runs them on batch chunks across threads, each chunk's columns
built and multiplied on one core (as the Winograd tiles; see kernels/cpu/winograd.py).

The columns are laid out (C*kh*kw, N, oh*ow): the images of a chunk side by side, so that
one GEMM covers them all.

Wide outputs: each plane is first copied into its zero-padded stride phases (phase (r, q)
holds the padded pixels (a·sh + r, e·sw + q) at (a, e), as in depthwise.py), so that every
row of every tap is one contiguous copy of ow values, with no padding cases and no strided
reads. Below GATHER_MAX_WIDTH output columns a segment is too short to pay for the fixed
cost of a slice copy, so the plane is copied once into a buffer with a trailing zero and
the columns are gathered from it (col2im: scattered into it) through a table of flat
offsets, padding pointing at that zero.
"""
import numpy as np
from numba import njit

from ..shapes import conv_output_shape, pair
from ._windows import as_c, tap_range, window_offsets

GATHER_MAX_WIDTH = 16


@njit(nogil=True, cache=True)
def _im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    N, C, H, W = x.shape
    Hq, Wq = (H + 2 * ph + sh - 1) // sh, (W + 2 * pw + sw - 1) // sw
    phases = np.zeros((sh, sw, Hq, Wq), dtype=x.dtype)  # (r, q, a, e): padded pixel
    for nc in range(N * C):                             # (a·sh + r, e·sw + q)
        n = nc // C
        c = nc - n * C
        src = x[n, c]                                   # (H, W)
        for r in range(sh):
            for q in range(sw):
                e0 = max(0, (pw - q + sw - 1) // sw)    # the phase columns inside x
                e1 = min(Wq, (W + pw - q + sw - 1) // sw)
                for a in range(Hq):
                    iy = a * sh + r - ph
                    if 0 <= iy < H and e1 > e0:
                        row = phases[r, q, a]
                        first = e0 * sw + q - pw
                        for e in range(e0, e1):
                            row[e] = src[iy, first + (e - e0) * sw]
        for i in range(kh):
            for j in range(kw):
                ry, rx = i * dh, j * dw
                plane = phases[ry % sh, rx % sw]        # tap (i, j) reads this phase,
                a0, e0 = ry // sh, rx // sw             # shifted by (a0, e0)
                dst = cols[(c * kh + i) * kw + j, n]    # (oh*ow,)
                for oy in range(oh):
                    seg = plane[oy + a0, e0:e0 + ow]
                    out = dst[oy * ow:oy * ow + ow]
                    for t in range(ow):
                        out[t] = seg[t]


@njit(nogil=True, cache=True)
def _col2im(cols, dx, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    N, C, H, W = dx.shape
    for nc in range(N * C):
        n = nc // C
        c = nc - n * C
        dst = dx[n, c]                                  # (H, W)
        dst[:, :] = 0
        for i in range(kh):
            for j in range(kw):
                src = cols[(c * kh + i) * kw + j, n]    # (oh*ow,)
                off = j * dw - pw
                lo, hi = tap_range(off, sw, W, ow)
                if hi <= lo:
                    continue
                for oy in range(oh):
                    iy = oy * sh - ph + i * dh
                    if iy < 0 or iy >= H:
                        continue
                    col = src[oy * ow + lo:oy * ow + hi]
                    if sw == 1:                         # 0-based views: vectorisable
                        back = dst[iy, lo + off:hi + off]
                        for t in range(hi - lo):
                            back[t] += col[t]
                    else:
                        back_s = dst[iy, lo * sw + off:(hi - 1) * sw + off + 1:sw]
                        for t in range(hi - lo):
                            back_s[t] += col[t]


@njit(nogil=True, cache=True)
def _im2col_gather(x, cols, offsets):
    N, C, H, W = x.shape
    taps, P = offsets.shape                             # (kh*kw, oh*ow)
    src = np.empty(H * W + 1, dtype=x.dtype)            # a plane, then the padding's zero
    src[H * W] = 0
    for nc in range(N * C):
        n = nc // C
        c = nc - n * C
        plane = x[n, c]
        for h in range(H):
            for w in range(W):
                src[h * W + w] = plane[h, w]
        for r in range(taps):
            dst = cols[c * taps + r, n]                 # (oh*ow,)
            at = offsets[r]
            for p in range(P):
                dst[p] = src[at[p]]


@njit(nogil=True, cache=True)
def _col2im_scatter(cols, dx, offsets):
    N, C, H, W = dx.shape
    taps, P = offsets.shape                             # (kh*kw, oh*ow)
    acc = np.empty(H * W + 1, dtype=dx.dtype)           # a plane, then a slot for padding
    for nc in range(N * C):
        n = nc // C
        c = nc - n * C
        acc[:] = 0
        for r in range(taps):
            src = cols[c * taps + r, n]                 # (oh*ow,)
            at = offsets[r]
            for p in range(P):
                acc[at[p]] += src[p]
        plane = dx[n, c]                                # (H, W)
        for h in range(H):
            for w in range(W):
                plane[h, w] = acc[h * W + w]


def im2col(x, kernel_size, stride, padding, dilation):
    """x (N, C, H, W) -> cols (C*kh*kw, N, oh*ow), rows ordered (c, i, j)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    x = as_c(x)
    N, C, H, W = x.shape
    oh, ow = conv_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    cols = np.empty((C * kh * kw, N, oh * ow), dtype=x.dtype)
    if ow < GATHER_MAX_WIDTH:
        _im2col_gather(x, cols, window_offsets(H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow))
    else:
        _im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    return cols


def col2im(cols, input_shape, kernel_size, stride, padding, dilation):
    """cols (C*kh*kw, N, oh*ow) -> dx (N, C, H, W): each entry summed onto its pixel."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    N, C, H, W = map(int, input_shape)
    oh, ow = conv_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    cols = as_c(cols).reshape(C * kh * kw, N, oh * ow)
    dx = np.empty((N, C, H, W), dtype=cols.dtype)
    if ow < GATHER_MAX_WIDTH:
        _col2im_scatter(cols, dx, window_offsets(H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow))
    else:
        _col2im(cols, dx, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    return dx
