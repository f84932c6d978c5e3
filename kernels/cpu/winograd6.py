"""The six-point Winograd tile transforms, forward only: F(4×4, 3×3) and F(2×2, 5×5), which
interpolate at the same points 0, ±1, ±2 and ∞ and so share one input transform Bᵀ (6×6).
Serial Numba loops over tile rows that release the GIL, laid out as winograd.py's
F(2×2, 3×3) ones: the padded image is copied into rows split into `step` column phases
(step = the output tile, 4 or 2), (n, row, column % step, column // step · C + channel), so
that column k of tile tx is phase k % step at (tx + k // step)·C. Each transform is
separable: six rows (or columns) down, then across, in one long loop along (tile, channel).
The filter transforms are in winograd_filters.py.
"""
import numpy as np
from numba import njit

from .winograd import planes_phases, transformed_input, transformed_output

__all__ = ["winograd4_input", "winograd4_output", "winograd5_input", "winograd5_output"]


@njit(nogil=True, inline="always")
def _b_t(d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5, n):
    """o = Bᵀ d along n positions, one output row per loop (see winograd.py's _b_t):
    4d0 − 5d2 + d4, (d3 + d4) − 4(d1 + d2), (d4 − d3) + 4(d1 − d2), (d4 − d2) ∓ 2(d1 − d3),
    4d1 − 5d3 + d5."""
    for f in range(n):
        o0[f] = 4 * d0[f] - 5 * d2[f] + d4[f]
    for f in range(n):
        o1[f] = (d3[f] + d4[f]) - 4 * (d1[f] + d2[f])
    for f in range(n):
        o2[f] = (d4[f] - d3[f]) + 4 * (d1[f] - d2[f])
    for f in range(n):
        o3[f] = (d4[f] - d2[f]) - 2 * (d1[f] - d3[f])
    for f in range(n):
        o4[f] = (d4[f] - d2[f]) + 2 * (d1[f] - d3[f])
    for f in range(n):
        o5[f] = 4 * d1[f] - 5 * d3[f] + d5[f]


@njit(nogil=True, inline="always")
def _a_t4(m0, m1, m2, m3, m4, m5, o, j, bias, n):
    """o[:, j] = Aᵀ m + bias along n positions for F(4×4, 3×3)'s Aᵀ (4×6), one output row
    o[i, j] per loop: Σ m0..m4, (m1 − m2) + 2(m3 − m4), (m1 + m2) + 4(m3 + m4),
    (m1 − m2) + 8(m3 − m4) + m5."""
    o0, o1, o2, o3 = o[0, j], o[1, j], o[2, j], o[3, j]
    for f in range(n):
        o0[f] = m0[f] + (m1[f] + m2[f]) + (m3[f] + m4[f]) + bias[f]
    for f in range(n):
        o1[f] = (m1[f] - m2[f]) + 2 * (m3[f] - m4[f]) + bias[f]
    for f in range(n):
        o2[f] = (m1[f] + m2[f]) + 4 * (m3[f] + m4[f]) + bias[f]
    for f in range(n):
        o3[f] = (m1[f] - m2[f]) + 8 * (m3[f] - m4[f]) + m5[f] + bias[f]


@njit(nogil=True, inline="always")
def _a_t2(m0, m1, m2, m3, m4, m5, o, j, bias, n):
    """o[:, j] = Aᵀ m + bias along n positions for F(2×2, 5×5)'s Aᵀ (2×6), one output row
    o[i, j] per loop: Σ m0..m4, (m1 − m2) + 2(m3 − m4) + m5."""
    o0, o1 = o[0, j], o[1, j]
    for f in range(n):
        o0[f] = m0[f] + (m1[f] + m2[f]) + (m3[f] + m4[f]) + bias[f]
    for f in range(n):
        o1[f] = (m1[f] - m2[f]) + 2 * (m3[f] - m4[f]) + m5[f] + bias[f]


@njit(nogil=True, inline="always")
def _a_t(m0, m1, m2, m3, m4, m5, o, j, bias, n):
    """Aᵀ m + bias into o[:, j], len(o) = 4 or 2 rows: F(4×4, 3×3)'s or F(2×2, 5×5)'s."""
    if o.shape[0] == 4:
        _a_t4(m0, m1, m2, m3, m4, m5, o, j, bias, n)
    else:
        _a_t2(m0, m1, m2, m3, m4, m5, o, j, bias, n)


@njit(nogil=True, cache=True)
def input6(rows, v, th, tw):
    """V = Bᵀ d B of every 6×6 tile, for F(4×4, 3×3) and F(2×2, 5×5) alike: the rows hold
    `step` = rows.shape[2] column phases (4 or 2), so that column k of tile tx is phase
    k % step at (tx + k // step)·C."""
    N, step = rows.shape[0], rows.shape[2]
    C = v.shape[2] // tw
    TC = tw * C
    width = rows.shape[3]                                       # (tw + spill) * C
    t = np.empty((6, step, width), dtype=v.dtype)               # Bᵀ down the tile row
    for nt in range(N * th):
        n = nt // th
        ty = nt - n * th
        r = rows[n, step * ty:step * ty + 6]                    # (6, step, width)
        for j in range(step):
            _b_t(r[0, j], r[1, j], r[2, j], r[3, j], r[4, j], r[5, j],
                 t[0, j], t[1, j], t[2, j], t[3, j], t[4, j], t[5, j], width)
        for a in range(6):                                      # then Bᵀ across each tile
            ta = t[a]
            b = 6 * a
            _b_t(ta[0], ta[1 % step, 1 // step * C:], ta[2 % step, 2 // step * C:],
                 ta[3 % step, 3 // step * C:], ta[4 % step, 4 // step * C:],
                 ta[5 % step, 5 // step * C:], v[b, nt], v[b + 1, nt], v[b + 2, nt],
                 v[b + 3, nt], v[b + 4, nt], v[b + 5, nt], TC)


@njit(nogil=True, cache=True)
def output6(m, bias_tiles, y, th, tw):
    """y = Aᵀ M A of every 6×6 tile of products M, into step×step output tiles, step =
    y.shape[2] // th: 4 for F(4×4, 3×3), 2 for F(2×2, 5×5)."""
    N, OC = y.shape[:2]
    step = y.shape[2] // th
    TO = tw * OC
    across = np.empty((6, step, 1, TO), dtype=y.dtype)          # Aᵀ across each tile
    out = np.empty((step, step, TO), dtype=y.dtype)             # (row, column phase, tx*OC + o)
    no_bias = np.zeros(TO, dtype=y.dtype)
    for nt in range(N * th):
        n = nt // th
        ty = nt - n * th
        for a in range(6):
            b = 6 * a
            _a_t(m[b, nt], m[b + 1, nt], m[b + 2, nt], m[b + 3, nt], m[b + 4, nt],
                 m[b + 5, nt], across[a], 0, no_bias, TO)
        for j in range(step):                                   # then Aᵀ down it
            _a_t(across[0, j, 0], across[1, j, 0], across[2, j, 0], across[3, j, 0],
                 across[4, j, 0], across[5, j, 0], out, j, bias_tiles, TO)
        for i in range(step):
            planes_phases(y[n, :, step * ty + i], out[i], 0, False)


def winograd4_input(x, padding):
    """x (N, C, H, W) -> V = Bᵀ d B for every 6×6 tile d, (36, N·th·tw, C), th = ⌈oh / 4⌉."""
    return transformed_input(input6, x, padding, 4)


def winograd4_output(m, output_shape, bias=None, out=None):
    """M (36, N·th·tw, OC) -> y = Aᵀ M A per tile (+ bias), cut to `output_shape`
    (N, OC, oh, ow); written into `out` (C-contiguous, of that shape) when given."""
    return transformed_output(output6, m, output_shape, bias, out, 4)


def winograd5_input(x, padding):
    """x (N, C, H, W) -> V = Bᵀ d B for every 6×6 tile d of F(2×2, 5×5), tiles 2 apart,
    (36, N·th·tw, C), th = ⌈oh / 2⌉."""
    return transformed_input(input6, x, padding, 2, kernel=5)


def winograd5_output(m, output_shape, bias=None, out=None):
    """M (36, N·th·tw, OC) -> y = Aᵀ M A per 2×2 tile (+ bias), cut to `output_shape`
    (N, OC, oh, ow); written into `out` (C-contiguous, of that shape) when given."""
    return transformed_output(output6, m, output_shape, bias, out, 2)
