"""Training-mode BatchNorm as parallel Numba loops over channels: each channel's slice of
x (N, C, L) is read two times for the statistics and once more to write y, while it is still
in cache; the backward reads g and x once for the two sums and once more for dx."""
import numpy as np
from numba import njit, prange

from ._windows import as_c


@njit(parallel=True, cache=True, fastmath={"reassoc"})
def _forward(x, weight, bias, eps, y, mean, var):
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
        v = sq / count
        scale = weight[c] / np.sqrt(v + eps)
        shift = bias[c] - mu * scale
        for n in range(N):
            for p in range(L):
                y[n, c, p] = x[n, c, p] * scale + shift
        mean[c] = mu
        var[c] = v


@njit(parallel=True, cache=True, fastmath={"reassoc"})
def _backward(g, x, mean, var, weight, eps, dx, dw, db):
    N, C, L = x.shape
    count = N * L
    for c in prange(C):
        mu = np.float64(mean[c])
        invstd = 1.0 / np.sqrt(var[c] + eps)
        sum_g = 0.0
        sum_gx = 0.0                                    # Σ g·(x − mean)
        for n in range(N):
            for p in range(L):
                gv = g[n, c, p]
                sum_g += gv
                sum_gx += gv * (x[n, c, p] - mu)
        db[c] = sum_g
        dw[c] = sum_gx * invstd
        k = weight[c] * invstd
        mean_g = sum_g / count
        slope = sum_gx * invstd * invstd / count        # mean(g·x̂)/σ
        for n in range(N):
            for p in range(L):
                dx[n, c, p] = k * (g[n, c, p] - mean_g - (x[n, c, p] - mu) * slope)


def batch_norm_forward(x, weight, bias, eps):
    """x (N, C, L), weight and bias (C,) -> (y, mean, var), var biased; see the reference."""
    x = as_c(x)
    C = x.shape[1]
    y = np.empty_like(x)
    mean = np.empty(C, dtype=x.dtype)
    var = np.empty(C, dtype=x.dtype)
    _forward(x, as_c(weight), as_c(bias), float(eps), y, mean, var)
    return y, mean, var


def batch_norm_backward(g, x, mean, var, weight, eps):
    """-> (dx, dw, db) of batch_norm_forward; see the reference for the math."""
    g, x = as_c(g), as_c(x)
    C = x.shape[1]
    dx = np.empty_like(x)
    dw = np.empty(C, dtype=x.dtype)
    db = np.empty(C, dtype=x.dtype)
    _backward(g, x, as_c(mean), as_c(var), as_c(weight), float(eps), dx, dw, db)
    return dx, dw, db
