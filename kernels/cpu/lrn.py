"""Local response normalisation across channels as parallel Numba loops.

Arrays are viewed as (N, C, L) with L the product of the spatial sizes; each iteration
owns one (n, c) row of the output and runs along L, contiguous in memory.

scale^(−β) is a pow call per element, which does not vectorise; for AlexNet's β = 3/4 it is
1 / (√s · √√s) instead, three square roots' worth of vector instructions.
"""
import math

import numpy as np
from numba import njit, prange

from ._windows import as_c


@njit(cache=True)
def _times_neg_pow(a, s, negbeta, out):
    """out = a · s^negbeta over rows of equal length."""
    if negbeta == -0.75:
        for p in range(out.shape[0]):
            r = math.sqrt(s[p])
            out[p] = a[p] / (r * math.sqrt(r))
    else:
        for p in range(out.shape[0]):
            out[p] = a[p] * s[p] ** negbeta


@njit(parallel=True, cache=True)
def _forward(x, y, scale, size, coef, negbeta, k):
    N, C, L = x.shape
    for nc in prange(N * C):
        n = nc // C
        c = nc - n * C
        s = scale[n, c]                                 # (L,), first the window's Σ x²
        s[:] = 0
        for c2 in range(max(c - size // 2, 0), min(c + (size - 1) // 2 + 1, C)):
            src = x[n, c2]
            for p in range(L):
                s[p] += src[p] * src[p]
        for p in range(L):
            s[p] = k + coef * s[p]
        _times_neg_pow(x[n, c], s, negbeta, y[n, c])


@njit(parallel=True, cache=True)
def _backward(x, y, scale, g, dx, size, coef, negbeta):
    N, C, L = x.shape
    for nc in prange(N * C):
        n = nc // C
        c = nc - n * C
        acc = dx[n, c]                                  # (L,), first Σ g·y/scale
        acc[:] = 0
        # the transposed window: every channel c2 whose window holds c
        for c2 in range(max(c - (size - 1) // 2, 0), min(c + size // 2 + 1, C)):
            for p in range(L):
                acc[p] += g[n, c2, p] * y[n, c2, p] / scale[n, c2, p]
        for p in range(L):
            acc[p] *= coef * x[n, c, p]
        own = np.empty(L, dtype=dx.dtype)               # g·scale^(−β)
        _times_neg_pow(g[n, c], scale[n, c], negbeta, own)
        for p in range(L):
            acc[p] = own[p] - acc[p]


def _rows(a, dtype):
    a = as_c(a.astype(dtype, copy=False))
    return a.reshape(a.shape[0], a.shape[1], -1)


def lrn(x, size, alpha, beta, k):
    """x (N, C, ...) -> (y, scale), both shaped like x; scale = k + alpha/size · Σ_window x²."""
    t = x.dtype.type
    x3 = _rows(x, x.dtype)
    y = np.empty_like(x3)
    scale = np.empty_like(x3)
    _forward(x3, y, scale, int(size), t(alpha / size), t(-beta), t(k))
    return y.reshape(x.shape), scale.reshape(x.shape)


def lrn_backward(x, y, scale, grad_out, size, alpha, beta, k):
    """dx = g·scale^(−β) − (2αβ/size)·x·Σ_transposed window(g·y/scale)."""
    t = x.dtype.type
    x3, y3, s3, g3 = (_rows(a, x.dtype) for a in (x, y, scale, grad_out))
    dx = np.empty_like(x3)
    _backward(x3, y3, s3, g3, dx, int(size), t(2 * alpha * beta / size), t(-beta))
    return dx.reshape(x.shape)
