"""Local response normalisation across channels as parallel Numba loops, one pass each way.

Arrays are viewed as (N, C, L) with L the product of the spatial sizes. Each iteration owns
one image n and a block of consecutive positions p, and walks down the channels once with a
running window sum: the entering channel's term is added, the leaving one's subtracted. The
terms sit in a ring of `size` rows, so the one that leaves is the one that was added, and
each element is read once instead of once per window that holds it.

The running sum and the ring are float64 whatever the input's dtype: adding and subtracting
along a long channel axis leaves a rounding residue that float32 would carry into every later
window, float64 keeps it below float32's resolution.

scale^(−β) is a pow call per element, which does not vectorise; for AlexNet's β = 3/4 it is
1 / (√s · √√s) instead, three square roots' worth of vector instructions.
"""
import math

import numpy as np
from numba import njit, prange

from ._windows import as_c

# positions per iteration: the float64 ring (size rows of BLOCK) stays in the L1 cache
BLOCK = 256


@njit(cache=True, inline="always")
def _times_neg_pow(a, s, negbeta):
    """a · s^negbeta, through square roots when negbeta = −3/4, in the dtype of a and s."""
    if negbeta == -0.75:
        r = math.sqrt(s)
        return a / (r * math.sqrt(r))
    return a * s ** negbeta


@njit(parallel=True, cache=True)
def _forward(x, y, scale, size, coef, negbeta, k):
    """scale = k + coef · Σ_{c − size//2 .. c + (size−1)//2} x², y = x · scale^negbeta."""
    N, C, L = x.shape
    before, after = size // 2, (size - 1) // 2
    blocks = (L + BLOCK - 1) // BLOCK
    for nb in prange(N * blocks):
        n = nb // blocks
        p0 = (nb - n * blocks) * BLOCK
        B = min(BLOCK, L - p0)
        ring = np.empty((size, B), dtype=np.float64)    # x² of the channels in the window
        total = np.zeros(B, dtype=np.float64)
        for c in range(-after, C):
            leave = c - before - 1                      # same ring row as c + after
            if leave >= 0:
                row = ring[leave % size]
                for p in range(B):
                    total[p] -= row[p]
            enter = c + after
            if enter < C:
                row = ring[enter % size]
                src = x[n, enter, p0:p0 + B]
                for p in range(B):
                    row[p] = src[p] * src[p]
                    total[p] += row[p]
            if c >= 0:
                xs, ys, ss = x[n, c, p0:p0 + B], y[n, c, p0:p0 + B], scale[n, c, p0:p0 + B]
                for p in range(B):
                    ss[p] = k + coef * total[p]
                for p in range(B):
                    ys[p] = _times_neg_pow(xs[p], ss[p], negbeta)


@njit(parallel=True, cache=True)
def _backward(x, y, scale, g, dx, size, coef, negbeta):
    """dx = g · scale^negbeta − coef · x · Σ_{c − (size−1)//2 .. c + size//2} g·y/scale."""
    N, C, L = x.shape
    before, after = (size - 1) // 2, size // 2        # the transposed window
    blocks = (L + BLOCK - 1) // BLOCK
    for nb in prange(N * blocks):
        n = nb // blocks
        p0 = (nb - n * blocks) * BLOCK
        B = min(BLOCK, L - p0)
        ring = np.empty((size, B), dtype=np.float64)    # g·y/scale of the channels in it
        total = np.zeros(B, dtype=np.float64)
        for c in range(-after, C):
            leave = c - before - 1
            if leave >= 0:
                row = ring[leave % size]
                for p in range(B):
                    total[p] -= row[p]
            enter = c + after
            if enter < C:
                row = ring[enter % size]
                gs, ys, ss = g[n, enter, p0:p0 + B], y[n, enter, p0:p0 + B], \
                    scale[n, enter, p0:p0 + B]
                for p in range(B):
                    row[p] = gs[p] * ys[p] / ss[p]
                    total[p] += row[p]
            if c >= 0:
                xs, gs, ss, ds = x[n, c, p0:p0 + B], g[n, c, p0:p0 + B], \
                    scale[n, c, p0:p0 + B], dx[n, c, p0:p0 + B]
                for p in range(B):
                    ds[p] = coef * total[p]                 # the window's sum, in x's dtype
                for p in range(B):
                    ds[p] = _times_neg_pow(gs[p], ss[p], negbeta) - xs[p] * ds[p]


def _rows(a, dtype):
    a = as_c(a.astype(dtype, copy=False))
    return a.reshape(a.shape[0], a.shape[1], -1)


def lrn(x, size, alpha, beta, k):
    """x (N, C, ...) -> (y, scale), both shaped like x; scale = k + alpha/size · Σ_window x²."""
    x3 = _rows(x, x.dtype)
    y = np.empty_like(x3)
    scale = np.empty_like(x3)
    _forward(x3, y, scale, int(size), float(alpha / size), x.dtype.type(-beta), float(k))
    return y.reshape(x.shape), scale.reshape(x.shape)


def lrn_backward(x, y, scale, grad_out, size, alpha, beta, k):
    """dx = g·scale^(−β) − (2αβ/size)·x·Σ_transposed window(g·y/scale)."""
    x3, y3, s3, g3 = (_rows(a, x.dtype) for a in (x, y, scale, grad_out))
    dx = np.empty_like(x3)
    _backward(x3, y3, s3, g3, dx, int(size), float(2 * alpha * beta / size),
              x.dtype.type(-beta))
    return dx.reshape(x.shape)
