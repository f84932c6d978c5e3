"""Softmax and log-softmax along rows as a parallel Numba loop, one row per iteration.

Both share one compiled kernel (a flag picks the last step), so each dtype compiles once.
"""
import math

import numpy as np
from numba import njit, prange

from ._windows import as_c


@njit(parallel=True, cache=True)
def _softmax(x, y, log_form):
    R, K = x.shape
    for r in prange(R):
        top = x[r, 0]
        for k in range(1, K):
            v = x[r, k]
            if v > top or v != v:                       # a NaN propagates, as in NumPy
                top = v
        total = 0.0                                     # float64 sum of exponentials
        for k in range(K):
            e = np.exp(x[r, k] - top)                   # ≤ 1: the max shift keeps it finite
            y[r, k] = e
            total += e
        if log_form:
            log_total = math.log(total)
            for k in range(K):
                y[r, k] = (x[r, k] - top) - log_total
        else:
            inv = 1.0 / total
            for k in range(K):
                y[r, k] *= inv


def softmax_rows(x):
    """x (R, K) -> y (R, K), each row exp(x − max) / Σ exp(x − max)."""
    x = as_c(x)
    y = np.empty_like(x)
    _softmax(x, y, False)
    return y


def log_softmax_rows(x):
    """x (R, K) -> y (R, K), each row (x − max) − log Σ exp(x − max)."""
    x = as_c(x)
    y = np.empty_like(x)
    _softmax(x, y, True)
    return y
