"""LayerNorm over the rows of x (R, K) as parallel Numba loops over runs of rows: each row
is read twice for its statistics and once more to write y, while it is in cache; the
backward reads g and x once for the row's two sums and once more for dx, and each run sums
its rows' dw and db (float64) for a final add over runs."""
import numpy as np
from numba import njit, prange

from ._runs import parallel_runs, reduction_runs
from ._windows import as_c

# Runs of rows per thread: more than one, so that a thread slowed by other work takes fewer.
RUNS_PER_THREAD = 4


@njit(parallel=True, cache=True, fastmath={"reassoc"})
def _forward(x, weight, bias, eps, y, mean, rstd, runs):
    R, K = x.shape
    for r in prange(runs):
        for row in range(r * R // runs, (r + 1) * R // runs):
            xr = x[row]
            total = 0.0                                 # float64 accumulators
            for k in range(K):
                total += xr[k]
            mu = total / K
            sq = 0.0
            for k in range(K):
                d = xr[k] - mu
                sq += d * d
            s = 1.0 / np.sqrt(sq / K + eps)
            yr = y[row]
            for k in range(K):
                yr[k] = (xr[k] - mu) * s * weight[k] + bias[k]
            mean[row] = mu
            rstd[row] = s


@njit(parallel=True, cache=True, fastmath={"reassoc"})
def _backward(g, x, mean, rstd, weight, dx, sums, runs):
    # sums (runs, 2, K) float64: each run's Σ g·x̂ and Σ g
    R, K = x.shape
    for r in prange(runs):
        dw, db = sums[r, 0], sums[r, 1]
        for row in range(r * R // runs, (r + 1) * R // runs):
            gr, xr = g[row], x[row]
            mu, s = np.float64(mean[row]), np.float64(rstd[row])
            sum_gw = 0.0
            sum_gwx = 0.0                               # Σ ĝ·x̂, ĝ = g·w
            for k in range(K):
                xhat = (xr[k] - mu) * s
                gw = gr[k] * weight[k]
                sum_gw += gw
                sum_gwx += gw * xhat
                dw[k] += gr[k] * xhat
                db[k] += gr[k]
            a, b = sum_gw / K, sum_gwx / K
            dxr = dx[row]
            for k in range(K):
                xhat = (xr[k] - mu) * s
                dxr[k] = s * (gr[k] * weight[k] - a - xhat * b)


def _or_constant(a, K, value, dtype):
    return np.full(K, value, dtype=dtype) if a is None else as_c(a)


def layer_norm_forward(x, weight, bias, eps):
    """x (R, K), weight and bias (K,) or None -> (y, mean, rstd); see the reference."""
    x = as_c(x)
    R, K = x.shape
    y = np.empty_like(x)
    mean = np.empty(R, dtype=x.dtype)
    rstd = np.empty(R, dtype=x.dtype)
    _forward(x, _or_constant(weight, K, 1, x.dtype), _or_constant(bias, K, 0, x.dtype),
             float(eps), y, mean, rstd, parallel_runs(R, RUNS_PER_THREAD))
    return y, mean, rstd


def layer_norm_backward(g, x, mean, rstd, weight):
    """-> (dx, dw, db) of layer_norm_forward; see the reference for the math."""
    g, x = as_c(g), as_c(x)
    R, K = x.shape
    dx = np.empty_like(x)
    runs = reduction_runs(R, RUNS_PER_THREAD)
    sums = np.zeros((runs, 2, K))
    _backward(g, x, as_c(mean), as_c(rstd), _or_constant(weight, K, 1, x.dtype), dx, sums,
              runs)
    if weight is None:
        return dx, None, None
    dw, db = sums.sum(axis=0).astype(x.dtype)
    return dx, dw, db
