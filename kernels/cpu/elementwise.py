"""Elementwise special functions NumPy lacks, and the exact GELU built on erf, as
parallel Numba loops (GELU and its gradient one pass each, instead of five NumPy passes)."""
import math

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def _erf_flat(x, out):
    for i in prange(x.size):
        out[i] = math.erf(x[i])


def erf(x):
    """erf(x) element by element; float32 stays float32."""
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(flat)
    _erf_flat(flat, out)
    return out.reshape(x.shape)


_SQRT_HALF = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


@njit(parallel=True, cache=True)
def _gelu_flat(x, out):
    for i in prange(x.size):
        v = x[i]
        out[i] = 0.5 * v * (1 + math.erf(v * _SQRT_HALF))


@njit(parallel=True, cache=True)
def _gelu_backward_flat(x, g, out):
    for i in prange(x.size):
        v = x[i]
        cdf = 0.5 * (1 + math.erf(v * _SQRT_HALF))
        pdf = math.exp(-0.5 * v * v) * _INV_SQRT_2PI
        out[i] = g[i] * (cdf + v * pdf)


def gelu(x):
    """GELU(x) = x·Φ(x) element by element; float32 stays float32."""
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(flat)
    _gelu_flat(flat, out)
    return out.reshape(x.shape)


def gelu_backward(x, g):
    """g·(Φ(x) + x·φ(x)) element by element."""
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(flat)
    _gelu_backward_flat(flat, np.ascontiguousarray(g, dtype=flat.dtype).reshape(-1), out)
    return out.reshape(x.shape)
