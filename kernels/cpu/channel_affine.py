"""A per-channel affine map as one parallel pass over the (n, c) planes: NumPy's
x·scale + shift takes two passes and a temporary as large as x."""
import numpy as np
from numba import njit, prange

from ._windows import as_c


@njit(parallel=True, cache=True)
def _channel_affine(x, scale, shift, y):
    N, C, L = x.shape
    for nc in prange(N * C):
        n = nc // C
        c = nc - n * C
        a, b = scale[c], shift[c]
        src, dst = x[n, c], y[n, c]                     # (L,)
        for p in range(L):
            dst[p] = src[p] * a + b


def channel_affine(x, scale, shift):
    """x (N, C, L), scale and shift (C,) -> y = x·scale[c] + shift[c]; see the reference."""
    x = as_c(x)
    y = np.empty_like(x)
    _channel_affine(x, as_c(scale.astype(x.dtype, copy=False)),
                    as_c(shift.astype(x.dtype, copy=False)), y)
    return y
