"""The softmax of attention scores (in place, masked rows to 0) and the softmax gradient,
row by row, as serial nogil Numba loops: scaled_dot_product_attention runs them on its
batch slices across threads (threads.parallel_for), each slice's rows still in cache from
the Q·Kᵀ product that wrote them.

Each row takes one pass for the max and one for exp and the sum, instead of NumPy's five
whole-array passes (max, shift, exp, sum, divide); float32 exponentials come from
_fast_exp.py, which vectorises inside the row loop. NumPy's error
model: a NaN row divides by a zero sum and stays NaN instead of raising.
"""
import math

import numpy as np
from numba import njit

from ._fast_exp import FAST, exp_nonpositive


# The row max keeps this many running maxima, lane j over the keys k ≡ j (mod LANES): eight
# independent chains that LLVM turns into one vector compare and blend per LANES keys, where
# a single running max waits on each comparison in turn.
LANES = 8


@njit(inline="always")
def _greater_or_nan(v, top):
    return v > top or v != v                            # a NaN propagates


@njit(inline="always")
def _row_max(row, lanes):
    """max(row), NaN where the row holds one; lanes: scratch of LANES elements."""
    K = row.shape[0]
    top = row[0]
    head = 1
    if K >= 2 * LANES:
        lanes[:] = row[:LANES]
        head = K - (K - LANES) % LANES              # the keys past the last full block
        for k in range(LANES, head, LANES):
            for j in range(LANES):
                v = row[k + j]
                lanes[j] = v if _greater_or_nan(v, lanes[j]) else lanes[j]
        top = lanes[0]
        for j in range(1, LANES):
            if _greater_or_nan(lanes[j], top):
                top = lanes[j]
    for k in range(head, K):
        if _greater_or_nan(row[k], top):
            top = row[k]
    return top


@njit(nogil=True, cache=True, fastmath=FAST, error_model="numpy")
def _masked_softmax_f32(x):
    R, K = x.shape
    shifted = np.empty(K, dtype=np.float32)
    exponent = np.empty(K, dtype=np.int32)
    lanes = np.empty(LANES, dtype=np.float32)
    for r in range(R):
        row = x[r]
        top = _row_max(row, lanes)
        if top == -np.inf:                              # every key masked
            row[:] = 0
            continue
        for k in range(K):
            shifted[k] = row[k] - top                   # ≤ 0 (NaN where top is NaN)
        exp_nonpositive(shifted, row, exponent)
        total = 0.0                                     # float64 sum
        for k in range(K):
            total += row[k]
        inv = np.float32(1.0 / total)                   # a NaN row: 0·∞ = NaN throughout
        for k in range(K):
            row[k] *= inv


@njit(nogil=True, cache=True, error_model="numpy")
def _masked_softmax_f64(x):
    R, K = x.shape
    lanes = np.empty(LANES, dtype=np.float64)
    for r in range(R):
        row = x[r]
        top = _row_max(row, lanes)
        if top == -np.inf:
            row[:] = 0
            continue
        total = 0.0
        for k in range(K):
            e = math.exp(row[k] - top)
            row[k] = e
            total += e
        inv = 1.0 / total
        for k in range(K):
            row[k] *= inv


@njit(nogil=True, cache=True, fastmath={"reassoc"})
def _softmax_backward(s, g, out):
    R, K = s.shape
    for r in range(R):
        total = 0.0                                     # float64 Σ g·s
        for k in range(K):
            total += g[r, k] * s[r, k]
        t = s.dtype.type(total)
        for k in range(K):
            out[r, k] = s[r, k] * (g[r, k] - t)


def masked_softmax_rows(x):
    """Each row of x (R, K), C-contiguous, replaced by its softmax in place; a row of −∞
    only (every key masked) becomes 0. Returns x."""
    if not (x.flags.c_contiguous and x.flags.writeable):
        raise ValueError("masked_softmax_rows: x must be C-contiguous and writeable (it is "
                         f"overwritten), got strides {x.strides} for shape {x.shape}")
    (_masked_softmax_f32 if x.dtype == np.float32 else _masked_softmax_f64)(x)
    return x


def softmax_backward_rows(s, g):
    """dL/dx (R, K) of s = softmax(x) along rows, from g = dL/ds: s·(g − Σ g·s)."""
    s = np.ascontiguousarray(s)
    g = np.ascontiguousarray(g, dtype=s.dtype)
    out = np.empty_like(s)
    _softmax_backward(s, g, out)
    return out
