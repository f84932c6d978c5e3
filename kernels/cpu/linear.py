"""y = x · Wᵀ for a few rows of x (at most FEW_ROWS: a small batch through a classifier's
fully connected layers at inference) as a Numba loop parallel over pairs of output
features.

With so few rows the product is one stream through W: each element of W meets FEW_ROWS
elements of x and is not needed again. A GEMM library first packs W into panels, a copy
that costs about as much as the product itself. Here each thread takes W's rows two at a
time and forms their dot products with all FEW_ROWS rows of x at once: 2 · FEW_ROWS sums in
registers, x (FEW_ROWS, K) staying in cache, W read once, in memory order. Each output is
summed by one thread in one order, whatever the thread count.
"""
import numpy as np
from numba import njit, prange

from ..shapes import LINEAR_FEW_ROWS as FEW_ROWS
from ..shapes import check_linear_rows as check_rows
from ._windows import as_c

__all__ = ["linear_few_rows"]


@njit(parallel=True, cache=True, fastmath={"reassoc", "contract"})
def _pairs(x, w, out, zero):
    O, K = w.shape
    for p in prange((O + 1) // 2):
        o = 2 * p
        u = min(o + 1, O - 1)                               # an odd last row: twice
        r, s = w[o], w[u]
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = zero        # x · r
        b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = zero        # x · s
        for k in range(K):
            v, t = r[k], s[k]
            x0, x1, x2, x3 = x[0, k], x[1, k], x[2, k], x[3, k]
            x4, x5, x6, x7 = x[4, k], x[5, k], x[6, k], x[7, k]
            a0 += x0 * v
            a1 += x1 * v
            a2 += x2 * v
            a3 += x3 * v
            a4 += x4 * v
            a5 += x5 * v
            a6 += x6 * v
            a7 += x7 * v
            b0 += x0 * t
            b1 += x1 * t
            b2 += x2 * t
            b3 += x3 * t
            b4 += x4 * t
            b5 += x5 * t
            b6 += x6 * t
            b7 += x7 * t
        out[0, o], out[1, o], out[2, o], out[3, o] = a0, a1, a2, a3
        out[4, o], out[5, o], out[6, o], out[7, o] = a4, a5, a6, a7
        out[0, u], out[1, u], out[2, u], out[3, u] = b0, b1, b2, b3
        out[4, u], out[5, u], out[6, u], out[7, u] = b4, b5, b6, b7


def linear_few_rows(x, w):
    """x (M, K) with M ≤ FEW_ROWS, w (O, K) -> x · wᵀ, (M, O) C-contiguous; fewer rows
    than FEW_ROWS are padded with zero rows."""
    M, K = x.shape
    check_rows(M)
    rows = np.zeros((FEW_ROWS, K), dtype=x.dtype)
    rows[:M] = x
    out = np.empty((FEW_ROWS, w.shape[0]), dtype=x.dtype)
    _pairs(rows, as_c(w), out, x.dtype.type(0))
    return out[:M]
