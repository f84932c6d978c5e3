"""The exact GELU and its gradient as parallel Numba loops, one pass each.

GELU(x) = x·Φ(x) and GELU'(x) = Φ(x) + x·φ(x) need the normal CDF Φ and density φ.
libm's erfc and exp cost one scalar call per element, and LLVM cannot vectorise a loop
around a call, so for float32 both come from arithmetic that does vectorise:

- erfc(z) = t·exp(P(t) − z²) with t = 1/(1 + z/2), z ≥ 0, P a degree-10 Chebyshev series
  in u = 2t − 1 fitted (least squares, in float64) to log(erfc(z)/t) + z² for z in
  [0, 10⁴], turned into powers of u and evaluated by Horner's rule (one multiply-add a
  degree, where Clenshaw's recurrence takes two operations and more); relative error
  ≤ 1.6e-7 everywhere. Φ(x) = ½·erfc(|x|/√2) for x < 0 and
  1 − ½·erfc(|x|/√2) otherwise, so the left tail keeps its relative precision (1 + erf(x)
  would cancel to 0 long before Φ underflows).
- exp(a) for a ≤ 0 from _fast_exp.py.

The float32 loops run over blocks of 512 elements, so that the exponent bits can be built
as a whole int32 array and viewed as float32; each iteration of the parallel loop takes a
run of blocks with one set of scratch buffers. float64 keeps libm's erfc and exp.
"""
import math

import numpy as np
from numba import njit, prange
from numpy.polynomial import chebyshev

from ._fast_exp import FAST, exp_nonpositive
from ._runs import parallel_runs

_ERFC_SERIES = np.array([
    -0.6513278484344482, 0.6419717669487, 0.019474612548947334, -0.009559820406138897,
    -0.0009480435983277857, 0.0003680436930153519, 4.160354728810489e-05,
    -1.959363726200536e-05, -2.06798131330288e-06, 1.5935962665025727e-06,
    -1.1448005921010918e-07])
_ERFC_POWERS = chebyshev.cheb2poly(_ERFC_SERIES).astype(np.float32)    # P in powers of u
_SQRT_HALF = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_BLOCK = 512
RUNS_PER_THREAD = 4


@njit(fastmath=FAST, inline="always")
def _normal_cdf(x, cdf, t, arg, exponent):
    """cdf[i] = Φ(x[i]) for a float32 block, from the erfc series (t, arg, exponent:
    scratch of the block's length)."""
    for i in range(cdf.shape[0]):
        z = abs(x[i]) * np.float32(_SQRT_HALF)
        ti = np.float32(1.0) / (np.float32(1.0) + np.float32(0.5) * z)
        u = np.float32(2.0) * ti - np.float32(1.0)
        p = _ERFC_POWERS[10]
        for j in range(9, -1, -1):
            p = p * u + _ERFC_POWERS[j]
        arg[i] = p - z * z
        t[i] = ti
    exp_nonpositive(arg, cdf, exponent)                # erfc(|x|/√2) / t
    for i in range(cdf.shape[0]):
        half_erfc = np.float32(0.5) * t[i] * cdf[i]
        cdf[i] = half_erfc if x[i] < 0 else np.float32(1.0) - half_erfc


@njit(parallel=True, cache=True, fastmath=FAST)
def _gelu_f32(x, out, runs):
    n = x.shape[0]
    for r in prange(runs):                              # a run of blocks, one scratch
        scratch = np.empty((3, _BLOCK), dtype=np.float32)
        exponent = np.empty(_BLOCK, dtype=np.int32)
        for lo in range(r * n // runs, (r + 1) * n // runs, _BLOCK):
            m = min((r + 1) * n // runs - lo, _BLOCK)
            xb, ob = x[lo:lo + m], out[lo:lo + m]
            cdf = scratch[0, :m]
            _normal_cdf(xb, cdf, scratch[1, :m], scratch[2, :m], exponent[:m])
            for i in range(m):
                ob[i] = xb[i] * cdf[i]


@njit(parallel=True, cache=True, fastmath=FAST)
def _gelu_backward_f32(x, g, out, runs):
    n = x.shape[0]
    for r in prange(runs):
        scratch = np.empty((4, _BLOCK), dtype=np.float32)
        exponent = np.empty(_BLOCK, dtype=np.int32)
        for lo in range(r * n // runs, (r + 1) * n // runs, _BLOCK):
            m = min((r + 1) * n // runs - lo, _BLOCK)
            xb, gb, ob = x[lo:lo + m], g[lo:lo + m], out[lo:lo + m]
            cdf, t, arg, pdf = scratch[0, :m], scratch[1, :m], scratch[2, :m], scratch[3, :m]
            _normal_cdf(xb, cdf, t, arg, exponent[:m])
            for i in range(m):
                arg[i] = np.float32(-0.5) * xb[i] * xb[i]
            exp_nonpositive(arg, pdf, exponent[:m])     # √(2π)·φ(x)
            for i in range(m):
                v = xb[i]
                ob[i] = gb[i] * (cdf[i] + v * pdf[i] * np.float32(_INV_SQRT_2PI))


@njit(parallel=True, cache=True)
def _gelu_f64(x, out):
    for i in prange(x.shape[0]):
        out[i] = x[i] * 0.5 * math.erfc(-x[i] * _SQRT_HALF)


@njit(parallel=True, cache=True)
def _gelu_backward_f64(x, g, out):
    for i in prange(x.shape[0]):
        v = x[i]
        cdf = 0.5 * math.erfc(-v * _SQRT_HALF)
        out[i] = g[i] * (cdf + v * math.exp(-0.5 * v * v) * _INV_SQRT_2PI)


def _flat(a, dtype):
    return np.ascontiguousarray(a, dtype=dtype).reshape(-1)


def _runs(n):
    """Runs of blocks for the float32 loops."""
    return parallel_runs(-(-n // _BLOCK), RUNS_PER_THREAD)


def gelu(x):
    """GELU(x) = x·Φ(x) element by element; float32 stays float32."""
    flat = _flat(x, x.dtype)
    out = np.empty_like(flat)
    if flat.dtype == np.float32:
        _gelu_f32(flat, out, _runs(flat.shape[0]))
    else:
        _gelu_f64(flat, out)
    return out.reshape(x.shape)


def gelu_backward(x, g):
    """g·(Φ(x) + x·φ(x)) element by element."""
    flat = _flat(x, x.dtype)
    g = _flat(g, flat.dtype)
    out = np.empty_like(flat)
    if flat.dtype == np.float32:
        _gelu_backward_f32(flat, g, out, _runs(flat.shape[0]))
    else:
        _gelu_backward_f64(flat, g, out)
    return out.reshape(x.shape)
