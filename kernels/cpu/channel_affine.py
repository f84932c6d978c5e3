"""A per-channel affine map as one pass over the (n, c) planes: NumPy's x·scale + shift
takes two passes and a temporary as large as x. Large inputs split the planes over the
threads; below PARALLEL_MIN_ELEMENTS the pass runs on the calling thread, where starting
the threads would cost more than the pass (BatchNorm in eval on small maps)."""
import numpy as np
from numba import njit, prange

from ._windows import as_c

PARALLEL_MIN_ELEMENTS = 1 << 17


@njit(nogil=True, inline="always")
def _plane(x, scale, shift, y, nc):
    """Plane nc of x (N, C, L) mapped into y: y[n, c] = x[n, c]·scale[c] + shift[c]."""
    C = x.shape[1]
    n = nc // C
    c = nc - n * C
    a, b = scale[c], shift[c]
    src, dst = x[n, c], y[n, c]                         # (L,)
    for p in range(src.shape[0]):
        dst[p] = src[p] * a + b


@njit(parallel=True, cache=True)
def _channel_affine(x, scale, shift, y):
    for nc in prange(x.shape[0] * x.shape[1]):
        _plane(x, scale, shift, y, nc)


@njit(nogil=True, cache=True)
def _channel_affine_serial(x, scale, shift, y):
    for nc in range(x.shape[0] * x.shape[1]):
        _plane(x, scale, shift, y, nc)


def channel_affine(x, scale, shift):
    """x (N, C, L), scale and shift (C,) -> y = x·scale[c] + shift[c]; see the reference."""
    x = as_c(x)
    y = np.empty_like(x)
    kernel = _channel_affine if x.size >= PARALLEL_MIN_ELEMENTS else _channel_affine_serial
    kernel(x, as_c(scale.astype(x.dtype, copy=False)), as_c(shift.astype(x.dtype, copy=False)),
           y)
    return y
