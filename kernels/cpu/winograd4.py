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
def _b_t(d0, d1, d2, d3, d4, d5):
    """Bᵀ (6, 6) applied to the 6-vector d: 4d0 − 5d2 + d4, (d4 − 4d2) ∓ (4d1 − d3),
    (d4 − d2) ∓ 2(d1 − d3), 4d1 − 5d3 + d5."""
    s, t = d4 - 4 * d2, 4 * d1 - d3
    p, q = d4 - d2, 2 * (d1 - d3)
    return 4 * d0 - 5 * d2 + d4, s - t, s + t, p - q, p + q, 4 * d1 - 5 * d3 + d5


@njit(nogil=True, inline="always")
def _a_t(m0, m1, m2, m3, m4, m5):
    """Aᵀ (4, 6) applied to the 6-vector m: Σ m0..m4, (m1 − m2) + 2(m3 − m4),
    (m1 + m2) + 4(m3 + m4), (m1 − m2) + 8(m3 − m4) + m5."""
    a, b = m1 + m2, m3 + m4
    c, d = m1 - m2, m3 - m4
    return m0 + a + b, c + 2 * d, a + 4 * b, c + 8 * d + m5


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
            r0, r1, r2, r3, r4, r5 = r[0, j], r[1, j], r[2, j], r[3, j], r[4, j], r[5, j]
            t0, t1, t2, t3, t4, t5 = t[0, j], t[1, j], t[2, j], t[3, j], t[4, j], t[5, j]
            for f in range(TC + C):
                t0[f], t1[f], t2[f], t3[f], t4[f], t5[f] = _b_t(r0[f], r1[f], r2[f],
                                                                r3[f], r4[f], r5[f])
        for a in range(6):                                      # then Bᵀ across each tile:
            p0, p1, p2, p3 = t[a, 0], t[a, 1], t[a, 2], t[a, 3]  # columns 4tx .. 4tx+3 at f,
            b = 6 * a                                           # 4tx+4, 4tx+5 at f + C
            v0, v1, v2, v3, v4, v5 = (v[b, nt], v[b + 1, nt], v[b + 2, nt], v[b + 3, nt],
                                      v[b + 4, nt], v[b + 5, nt])
            for f in range(TC):
                v0[f], v1[f], v2[f], v3[f], v4[f], v5[f] = _b_t(p0[f], p1[f], p2[f], p3[f],
                                                                p0[f + C], p1[f + C])


@njit(nogil=True, cache=True)
def _output(m, bias_tiles, y, th, tw):
    N, OC = y.shape[:2]
    TO = tw * OC
    across = np.empty((6, 4, TO), dtype=y.dtype)                # Aᵀ across each tile
    out = np.empty((4, 4, TO), dtype=y.dtype)                   # (row, column phase, tx*OC + o)
    columns = np.empty((y.shape[3], OC), dtype=y.dtype)
    for nt in range(N * th):
        n = nt // th
        ty = nt - n * th
        for a in range(6):
            b = 6 * a
            m0, m1, m2, m3, m4, m5 = (m[b, nt], m[b + 1, nt], m[b + 2, nt], m[b + 3, nt],
                                      m[b + 4, nt], m[b + 5, nt])
            s0, s1, s2, s3 = across[a, 0], across[a, 1], across[a, 2], across[a, 3]
            for f in range(TO):
                s0[f], s1[f], s2[f], s3[f] = _a_t(m0[f], m1[f], m2[f], m3[f], m4[f], m5[f])
        for j in range(4):                                      # then Aᵀ down it
            s0, s1, s2 = across[0, j], across[1, j], across[2, j]
            s3, s4, s5 = across[3, j], across[4, j], across[5, j]
            y0, y1, y2, y3 = out[0, j], out[1, j], out[2, j], out[3, j]
            for f in range(TO):
                c = bias_tiles[f]
                e0, e1, e2, e3 = _a_t(s0[f], s1[f], s2[f], s3[f], s4[f], s5[f])
                y0[f], y1[f], y2[f], y3[f] = e0 + c, e1 + c, e2 + c, e3 + c
        for i in range(4):
            planes_phases(y[n, :, 4 * ty + i], out[i], 0, False, columns)


def winograd4_input(x, padding):
    """x (N, C, H, W) -> V = Bᵀ d B for every 6×6 tile d, (36, N·th·tw, C), th = ⌈oh / 4⌉."""
    return transformed_input(_input, x, padding, 4)


def winograd4_output(m, output_shape, bias=None, out=None):
    """M (36, N·th·tw, OC) -> y = Aᵀ M A per tile (+ bias), cut to `output_shape`
    (N, OC, oh, ow); written into `out` (C-contiguous, of that shape) when given."""
    return transformed_output(_output, m, output_shape, bias, out, 4)
