"""Max and average pooling as parallel Numba loops, one (n, c) plane per iteration.

An undilated max pool is separable: the first maximum down each column of a window row,
then the first of those across each window (ties go to the smaller flat index, so the
pick is still the row-major first maximum, as in PyTorch). The column pass vectorises;
the window pass keeps its running argmax by arithmetic, not by a select, which LLVM turns
into a branch that real data mispredicts half the time. A plane holding a NaN
(NaN beats everything) is redone window by window by the general loop.

Forward and backward both own whole planes, so the backward scatters (adding where
windows overlap) never race.
"""
import numpy as np
from numba import njit, prange

from .. import dtypes
from ..shapes import avg_pool_divisors, pair, pool_output_shape
from ._windows import as_c, first_inside


@njit(cache=True)
def _first_nan(src, h0, h1, dh, w0, w1, dw):
    """(row, column) of the first NaN of a window, in row-major order."""
    for ih in range(h0, h1, dh):
        for iw in range(w0, w1, dw):
            if src[ih, iw] != src[ih, iw]:
                return ih, iw
    return h0, w0


@njit(cache=True)
def _max_plane(src, y, idx, kh, kw, sh, sw, ph, pw, dh, dw, lowest):
    """Any window, any data: src (H, W) -> y, idx (oh, ow), window by window."""
    H, W = src.shape
    oh, ow = y.shape
    for oy in range(oh):
        h0 = first_inside(oy * sh - ph, dh)             # first real row of the window
        h1 = min(oy * sh - ph + (kh - 1) * dh + 1, H)
        for ox in range(ow):
            w0 = first_inside(ox * sw - pw, dw)
            w1 = min(ox * sw - pw + (kw - 1) * dw + 1, W)
            best = lowest                               # −inf (or the least int) in x's dtype
            best_h, best_w = h0, w0
            nan = False
            for ih in range(h0, h1, dh):
                for iw in range(w0, w1, dw):
                    v = src[ih, iw]
                    nan |= v != v
                    if v > best:                        # strict: the first maximum wins
                        best = v
                        best_h, best_w = ih, iw
            if nan:                                     # rare: the first NaN wins instead
                best_h, best_w = _first_nan(src, h0, h1, dh, w0, w1, dw)
                best = src[best_h, best_w]
            y[oy, ox] = best
            idx[oy, ox] = best_h * W + best_w


@njit(parallel=True, cache=True)
def _max_forward(x, y, idx, kh, kw, sh, sw, ph, pw, dh, dw, lowest):
    N, C = x.shape[:2]
    for nc in prange(N * C):
        n = nc // C
        c = nc - n * C
        _max_plane(x[n, c], y[n, c], idx[n, c], kh, kw, sh, sw, ph, pw, dh, dw, lowest)


@njit(parallel=True, cache=True)
def _max_forward_separable(x, y, idx, kh, kw, sh, sw, ph, pw, lowest):
    N, C, H, W = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for nc in prange(N * C):
        n = nc // C
        c = nc - n * C
        src, yp, ip = x[n, c], y[n, c], idx[n, c]       # (H, W), (oh, ow), (oh, ow)
        col_max = np.empty(W, dtype=x.dtype)            # down each column of a window row
        col_at = np.empty(W, dtype=np.int64)            # and where: flat h * W + w
        nans = 0
        for oy in range(oh):
            h0 = max(oy * sh - ph, 0)
            h1 = min(oy * sh - ph + kh, H)
            first = src[min(h0, H - 1)]
            for w in range(W):
                v = first[w]
                nans += v != v
                col_max[w] = v
                col_at[w] = h0 * W + w
            for ih in range(h0 + 1, h1):                # first maximum down each column
                row = src[ih]
                for w in range(W):
                    v, b = row[w], col_max[w]
                    nans += v != v
                    col_max[w] = v if v > b else b
                    col_at[w] = ih * W + w if v > b else col_at[w]
            for ox in range(ow):                        # then across the window's columns
                w0 = max(ox * sw - pw, 0)
                w1 = min(ox * sw - pw + kw, W)
                if h1 <= h0 or w1 <= w0:                # padding alone: points past the plane
                    yp[oy, ox] = lowest
                    ip[oy, ox] = h0 * W + w0
                    continue
                best, best_at = col_max[w0], col_at[w0]
                for iw in range(w0 + 1, w1):            # selects as arithmetic: a branch
                    v, at = col_max[iw], col_at[iw]     # here is a coin toss on real data
                    take = (v > best) | ((v == best) & (at < best_at))
                    best = max(v, best)
                    best_at += np.int64(take) * (at - best_at)
                yp[oy, ox] = best
                ip[oy, ox] = best_at
        if nans:                                        # rare: NaN rules, window by window
            _max_plane(src, yp, ip, kh, kw, sh, sw, ph, pw, 1, 1, lowest)


@njit(parallel=True, cache=True)
def _max_backward(g, idx, dx):
    planes, hw = dx.shape
    for p in prange(planes):
        dst = dx[p]                                     # one input plane, owned here
        dst[:] = 0
        for k in range(g.shape[1]):
            i = idx[p, k]
            if 0 <= i < hw:                             # a window over padding alone points past
                dst[i] += g[p, k]


@njit(cache=True)
def _avg_window(o, stride, pad, k, size):
    """The input range [lo, hi) that output o's average window covers, cut to 0 .. size."""
    start = o * stride - pad
    return max(start, 0), min(start + k, size)


@njit(parallel=True, cache=True)
def _avg_forward(x, y, kh, kw, sh, sw, ph, pw, rows, cols, zero):
    N, C, H, W = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for nc in prange(N * C):
        n = nc // C
        c = nc - n * C
        src = x[n, c]
        for oy in range(oh):
            h0, h1 = _avg_window(oy, sh, ph, kh, H)
            for ox in range(ow):
                w0, w1 = _avg_window(ox, sw, pw, kw, W)
                total = zero                            # 0 in x's dtype
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        total += src[ih, iw]
                y[n, c, oy, ox] = total / (rows[oy] * cols[ox])


@njit(parallel=True, cache=True)
def _avg_backward(g, dx, kh, kw, sh, sw, ph, pw, rows, cols):
    N, C, H, W = dx.shape
    oh, ow = g.shape[2], g.shape[3]
    for nc in prange(N * C):
        n = nc // C
        c = nc - n * C
        dst = dx[n, c]                                  # one input plane, owned here
        dst[:, :] = 0
        for oy in range(oh):
            h0, h1 = _avg_window(oy, sh, ph, kh, H)
            for ox in range(ow):
                w0, w1 = _avg_window(ox, sw, pw, kw, W)
                share = g[n, c, oy, ox] / (rows[oy] * cols[ox])
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        dst[ih, iw] += share


def _divisors(input_hw, kernel_size, stride, padding, out_hw, count_include_pad,
              divisor_override, dtype):
    """The divisor of window (oy, ox) is rows[oy] * cols[ox] (arrays of `dtype`)."""
    rows, cols = avg_pool_divisors(input_hw, kernel_size, stride, padding, out_hw,
                                   count_include_pad, divisor_override)
    return np.asarray(rows, dtype=dtype), np.asarray(cols, dtype=dtype)


def max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode):
    """x (N, C, H, W) -> (y, indices (int64, flat h*W + w per plane)), both (N, C, oh, ow)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    x = as_c(x)
    N, C, H, W = x.shape
    oh, ow = pool_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw), bool(ceil_mode))
    y = np.empty((N, C, oh, ow), dtype=x.dtype)
    indices = np.empty((N, C, oh, ow), dtype=np.int64)
    if (dh, dw) == (1, 1):      # separable: first down the columns, then across
        _max_forward_separable(x, y, indices, kh, kw, sh, sw, ph, pw, dtypes.lowest(x.dtype))
    else:
        _max_forward(x, y, indices, kh, kw, sh, sw, ph, pw, dh, dw, dtypes.lowest(x.dtype))
    return y, indices


def max_pool2d_backward(grad_out, indices, input_shape, kernel_size, stride, padding, dilation):
    """dx (N, C, H, W): each output gradient added onto the pixel its index names, in output
    order (the windows go unused: see the reference)."""
    N, C, H, W = map(int, input_shape)
    grad_out = as_c(grad_out).reshape(N * C, -1)
    indices = as_c(indices.astype(np.int64, copy=False)).reshape(N * C, -1)
    dx = np.empty((N * C, H * W), dtype=grad_out.dtype)
    _max_backward(grad_out, indices, dx)
    return dx.reshape(N, C, H, W)


def avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
               divisor_override=None):
    """x (N, C, H, W) -> y (N, C, oh, ow): window sums over PyTorch's divisor."""
    (kh, kw), (sh, sw), (ph, pw) = map(pair, (kernel_size, stride, padding))
    x = as_c(x)
    N, C, H, W = x.shape
    oh, ow = pool_output_shape((H, W), (kh, kw), (sh, sw), (ph, pw), 1, bool(ceil_mode))
    rows, cols = _divisors((H, W), (kh, kw), (sh, sw), (ph, pw), (oh, ow), count_include_pad,
                           divisor_override, x.dtype)
    y = np.empty((N, C, oh, ow), dtype=x.dtype)
    _avg_forward(x, y, kh, kw, sh, sw, ph, pw, rows, cols, x.dtype.type(0))
    return y


def avg_pool2d_backward(grad_out, input_shape, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override=None):
    """dx (N, C, H, W): each output gradient, over its divisor, spread over its window."""
    (kh, kw), (sh, sw), (ph, pw) = map(pair, (kernel_size, stride, padding))
    grad_out = as_c(grad_out)
    N, C, H, W = map(int, input_shape)
    rows, cols = _divisors((H, W), (kh, kw), (sh, sw), (ph, pw), grad_out.shape[2:],
                           count_include_pad, divisor_override, grad_out.dtype)
    dx = np.empty((N, C, H, W), dtype=grad_out.dtype)
    _avg_backward(grad_out, dx, kh, kw, sh, sw, ph, pw, rows, cols)
    return dx
