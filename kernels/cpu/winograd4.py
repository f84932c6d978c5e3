"""Winograd F(4×4, 3×3) tile transforms (forward only) as serial Numba loops over tile rows
that release the GIL, laid out as winograd.py's F(2×2, 3×3) ones: the padded image is
copied into rows split into four column phases, (n, row, column % 4, column // 4 · C +
channel), so that column k of tile tx is phase k at tx·C for k < 4, and phase k − 4 at
(tx + 1)·C for k = 4, 5. Each transform is separable: six rows (or columns) down, then
across, in one long loop along (tile, channel). The filter transform is in
winograd_filters.py.
"""
import numpy as np
from numba import njit

from .winograd import planes_phases, transformed_input, transformed_output

__all__ = ["winograd4_input", "winograd4_output"]


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
def _a_t(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3, bias, n):
    """o = Aᵀ m + bias along n positions, one output row per loop: Σ m0..m4,
    (m1 − m2) + 2(m3 − m4), (m1 + m2) + 4(m3 + m4), (m1 − m2) + 8(m3 − m4) + m5."""
    for f in range(n):
        o0[f] = m0[f] + (m1[f] + m2[f]) + (m3[f] + m4[f]) + bias[f]
    for f in range(n):
        o1[f] = (m1[f] - m2[f]) + 2 * (m3[f] - m4[f]) + bias[f]
    for f in range(n):
        o2[f] = (m1[f] + m2[f]) + 4 * (m3[f] + m4[f]) + bias[f]
    for f in range(n):
        o3[f] = (m1[f] - m2[f]) + 8 * (m3[f] - m4[f]) + m5[f] + bias[f]


@njit(nogil=True, cache=True)
def _input(rows, v, th, tw):
    N, C = rows.shape[0], rows.shape[3] // (tw + 1)
    TC = tw * C
    t = np.empty((6, 4, TC + C), dtype=v.dtype)                 # Bᵀ down the tile row
    for nt in range(N * th):
        n = nt // th
        ty = nt - n * th
        r = rows[n, 4 * ty:4 * ty + 6]                          # (6, 4, (tw+1)*C)
        for j in range(4):
            _b_t(r[0, j], r[1, j], r[2, j], r[3, j], r[4, j], r[5, j],
                 t[0, j], t[1, j], t[2, j], t[3, j], t[4, j], t[5, j], TC + C)
        for a in range(6):                                      # then Bᵀ across each tile:
            p0, p1, p2, p3 = t[a, 0], t[a, 1], t[a, 2], t[a, 3]  # columns 4tx .. 4tx+3 at f,
            b = 6 * a                                           # 4tx+4, 4tx+5 at f + C
            _b_t(p0, p1, p2, p3, p0[C:], p1[C:], v[b, nt], v[b + 1, nt], v[b + 2, nt],
                 v[b + 3, nt], v[b + 4, nt], v[b + 5, nt], TC)


@njit(nogil=True, cache=True)
def _output(m, bias_tiles, y, th, tw):
    N, OC = y.shape[:2]
    TO = tw * OC
    across = np.empty((6, 4, TO), dtype=y.dtype)                # Aᵀ across each tile
    out = np.empty((4, 4, TO), dtype=y.dtype)                   # (row, column phase, tx*OC + o)
    no_bias = np.zeros(TO, dtype=y.dtype)
    for nt in range(N * th):
        n = nt // th
        ty = nt - n * th
        for a in range(6):
            b = 6 * a
            _a_t(m[b, nt], m[b + 1, nt], m[b + 2, nt], m[b + 3, nt], m[b + 4, nt],
                 m[b + 5, nt], across[a, 0], across[a, 1], across[a, 2], across[a, 3],
                 no_bias, TO)
        for j in range(4):                                      # then Aᵀ down it
            _a_t(across[0, j], across[1, j], across[2, j], across[3, j], across[4, j],
                 across[5, j], out[0, j], out[1, j], out[2, j], out[3, j], bias_tiles, TO)
        for i in range(4):
            planes_phases(y[n, :, 4 * ty + i], out[i], 0, False)


def winograd4_input(x, padding):
    """x (N, C, H, W) -> V = Bᵀ d B for every 6×6 tile d, (36, N·th·tw, C), th = ⌈oh / 4⌉."""
    return transformed_input(_input, x, padding, 4)


def winograd4_output(m, output_shape, bias=None, out=None):
    """M (36, N·th·tw, OC) -> y = Aᵀ M A per tile (+ bias), cut to `output_shape`
    (N, OC, oh, ow); written into `out` (C-contiguous, of that shape) when given."""
    return transformed_output(_output, m, output_shape, bias, out, 4)
