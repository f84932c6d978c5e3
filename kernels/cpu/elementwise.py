"""Elementwise special functions NumPy lacks, as parallel Numba loops."""
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

