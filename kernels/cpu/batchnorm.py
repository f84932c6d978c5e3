"""Per-channel batch statistics for BatchNorm as a parallel Numba loop over channels."""
import numpy as np
from numba import njit, prange

from ._windows import as_c


@njit(parallel=True, cache=True, fastmath={"reassoc"})
def _stats(x, mean, var):
    N, C, L = x.shape
    count = N * L
    for c in prange(C):
        total = 0.0                                     # float64 accumulators
        for n in range(N):
            for p in range(L):
                total += x[n, c, p]
        mu = total / count
        sq = 0.0                                        # second pass: Σ (x − mean)²
        for n in range(N):
            for p in range(L):
                d = x[n, c, p] - mu
                sq += d * d
        mean[c] = mu
        var[c] = sq / count


def batch_norm_stats(x):
    """x (N, C, H, W) or (N, C) -> (mean, var), each (C,) in x's dtype; var is biased."""
    x3 = as_c(x).reshape(x.shape[0], x.shape[1], -1)
    mean = np.empty(x.shape[1], dtype=x.dtype)
    var = np.empty(x.shape[1], dtype=x.dtype)
    _stats(x3, mean, var)
    return mean, var
