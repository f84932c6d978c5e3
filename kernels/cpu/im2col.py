"""im2col / col2im as parallel Numba loops over (n, c) planes (and kernel rows).

The columns are laid out (C*kh*kw, N, oh*ow): the images of a batch side by side, so that
one GEMM covers them all. In im2col every kernel row i of an (n, c) plane owns the segments
[row, n] of the rows (c*kh + i)*kw .. (c*kh + i + 1)*kw − 1; in col2im every (n, c) plane
owns its output plane; so threads never share a write. The inner loops run along ow,
contiguous in the columns.
"""
import numpy as np
from numba import njit, prange

from ..shapes import conv_output_shape, pair
from ._windows import as_c, tap_range


@njit(parallel=True, cache=True)
def _im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    N, C, H, W = x.shape
    for nci in prange(N * C * kh):                      # one kernel row of one plane each:
        nc = nci // kh                                  # enough iterations for every thread
        i = nci - nc * kh                               # even with a few channels (RGB)
        n = nc // C
        c = nc - n * C
        src = x[n, c]                                   # (H, W)
        for j in range(kw):
            dst = cols[(c * kh + i) * kw + j, n]        # (oh*ow,)
            off = j * dw - pw
            lo, hi = tap_range(off, sw, W, ow)
            for oy in range(oh):
                iy = oy * sh - ph + i * dh
                base = oy * ow
                if iy < 0 or iy >= H:                   # the whole row is padding
                    dst[base:base + ow] = 0
                    continue
                dst[base:base + lo] = 0                 # left padding
                if hi > lo:
                    if sw == 1:                         # contiguous copy
                        dst[base + lo:base + hi] = src[iy, lo + off:hi + off]
                    else:                               # every sw-th pixel
                        last = (hi - 1) * sw + off
                        dst[base + lo:base + hi] = src[iy, lo * sw + off:last + 1:sw]
                dst[base + hi:base + ow] = 0            # right padding


@njit(parallel=True, cache=True)
def _col2im(cols, dx, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    N, C, H, W = dx.shape
    for nc in prange(N * C):
        n = nc // C
        c = nc - n * C
        dst = dx[n, c]                                  # (H, W), owned by this thread
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


def im2col(x, kernel_size, stride, padding, dilation):
    """x (N, C, H, W) -> cols (C*kh*kw, N, oh*ow), rows ordered (c, i, j)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    x = as_c(x)
    N, C, H, W = x.shape
    oh, ow = conv_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    cols = np.empty((C * kh * kw, N, oh * ow), dtype=x.dtype)
    _im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    return cols


def col2im(cols, input_shape, kernel_size, stride, padding, dilation):
    """cols (C*kh*kw, N, oh*ow) -> dx (N, C, H, W): each entry summed onto its pixel."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    N, C, H, W = map(int, input_shape)
    oh, ow = conv_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    cols = as_c(cols).reshape(C * kh * kw, N, oh * ow)
    dx = np.empty((N, C, H, W), dtype=cols.dtype)
    _col2im(cols, dx, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    return dx
