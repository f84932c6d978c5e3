"""Winograd F(2×2, 3×3) tile transforms as serial Numba loops over tile rows (n, ty) that
release the GIL: functional/conv_winograd.py runs them on batch chunks across threads, each
chunk through transform, GEMMs and inverse on one core while its tiles are in that core's
cache (one parallel launch per stage would add a launch and a barrier between stages).

The image is first copied, zero-padded, into "rows" laid out (n, row, column parity,
column // 2 · C + channel) (F(4×4, 3×3) in winograd6.py splits them into four column
phases instead, through the same copy and output helpers); from there every transform runs
along (tile, channel), contiguous in both the rows and the (16, N·th, tw·C) tile arrays,
which is what vectorises (the tile counts of small feature maps alone are too short), one
loop per output row. Each transform is separable: a 4-point (or 2-point) transform down
the rows, then one across the columns.
The input gradient adds overlapping tiles onto such rows and copies them back to NCHW. The
filter transforms are in winograd_filters.py.
"""
import numpy as np
from numba import njit

from ..shapes import winograd_tiles
from ._windows import as_c

__all__ = ["winograd_input", "winograd_input_grad", "winograd_output", "winograd_output_grad"]


# Channels copied per pass of planes_phases: eight rows of planes read side by side, so that
# each column's eight channels go out as one contiguous run.
CHANNEL_BLOCK = 8


@njit(nogil=True, inline="always")
def _channel_block(planes, phases, offset, into_phases, c0):
    """planes_phases for the CHANNEL_BLOCK channels from c0 on; the phase index is unsigned,
    so that no negative-index check stands between the eight loads or stores."""
    C, W = planes.shape
    P = phases.shape[0]
    r0, r1, r2, r3 = planes[c0], planes[c0 + 1], planes[c0 + 2], planes[c0 + 3]
    r4, r5, r6, r7 = planes[c0 + 4], planes[c0 + 5], planes[c0 + 6], planes[c0 + 7]
    one = np.uint64(1)
    for k in range(W):
        col = k + offset
        q = col // P
        run = phases[col - q * P]
        b = np.uint64(q * C + c0)
        if into_phases:
            run[b], run[b + one], run[b + 2 * one], run[b + 3 * one] = r0[k], r1[k], r2[k], r3[k]
            run[b + 4 * one], run[b + 5 * one], run[b + 6 * one], run[b + 7 * one] = (
                r4[k], r5[k], r6[k], r7[k])
        else:
            r0[k], r1[k], r2[k], r3[k] = run[b], run[b + one], run[b + 2 * one], run[b + 3 * one]
            r4[k], r5[k], r6[k], r7[k] = (run[b + 4 * one], run[b + 5 * one], run[b + 6 * one],
                                          run[b + 7 * one])


@njit(nogil=True, cache=True)
def planes_phases(planes, phases, offset, into_phases):
    """Copy between a (C, W) slab of planes and rows split by column phase, channels
    innermost: phases[col % P, (col // P)·C + c] is planes[c, k] for col = k + offset, with
    P = len(phases); into `phases` when `into_phases`, else out of them.

    CHANNEL_BLOCK planes at a time, read (or written) along their rows while each column's
    channels go out (or come in) as one contiguous run. One plane at a time, the slab's C
    rows lie a whole plane apart: at 32×32, 4 KiB, so that they all fall in the same cache
    sets and evict each other."""
    C, W = planes.shape
    c0 = 0
    while c0 + CHANNEL_BLOCK <= C:
        _channel_block(planes, phases, offset, into_phases, c0)
        c0 += CHANNEL_BLOCK
    P = phases.shape[0]
    for c in range(c0, C):
        row = planes[c]
        for k in range(W):
            col = k + offset
            q = col // P
            if into_phases:
                phases[col - q * P, q * C + c] = row[k]
            else:
                row[k] = phases[col - q * P, q * C + c]


@njit(nogil=True, cache=True)
def to_rows(x, rows, ph, pw):
    N, C, H, W = x.shape
    for ni in range(N * H):                                    # image row iy -> rows[n, iy+ph]
        n = ni // H
        iy = ni - n * H
        planes_phases(x[n, :, iy], rows[n, iy + ph], pw, True)  # -> (P, (tw+1)*C)


@njit(nogil=True, cache=True)
def _from_rows(rows, dx, ph, pw):
    N, C, H, W = dx.shape
    for ni in range(N * H):
        n = ni // H
        iy = ni - n * H
        planes_phases(dx[n, :, iy], rows[n, iy + ph], pw, False)


@njit(nogil=True, inline="always")
def _b_t(d0, d1, d2, d3, o0, o1, o2, o3, n):
    """o = Bᵀ d along n positions: d0 − d2, d1 + d2, d2 − d1, d1 − d3. One output row per
    loop: with every row's store in one loop, LLVM most likely keeps it scalar, unable to
    rule out overlaps between the rows."""
    for f in range(n):
        o0[f] = d0[f] - d2[f]
    for f in range(n):
        o1[f] = d1[f] + d2[f]
    for f in range(n):
        o2[f] = d2[f] - d1[f]
    for f in range(n):
        o3[f] = d1[f] - d3[f]


@njit(nogil=True, inline="always")
def _a_t(m0, m1, m2, m3, o0, o1, bias, n):
    """o = Aᵀ m + bias along n positions: m0 + m1 + m2, m1 − m2 − m3."""
    for f in range(n):
        o0[f] = m0[f] + m1[f] + m2[f] + bias[f]
    for f in range(n):
        o1[f] = m1[f] - m2[f] - m3[f] + bias[f]


@njit(nogil=True, inline="always")
def _a(g0, g1, o0, o1, o2, o3, n):
    """o = A g along n positions: g0, g0 + g1, g0 − g1, −g1."""
    for f in range(n):
        o0[f] = g0[f]
    for f in range(n):
        o1[f] = g0[f] + g1[f]
    for f in range(n):
        o2[f] = g0[f] - g1[f]
    for f in range(n):
        o3[f] = -g1[f]


@njit(nogil=True, cache=True)
def _input(rows, v, th, tw):
    N, C = rows.shape[0], rows.shape[3] // (tw + 1)
    TC = tw * C
    t = np.empty((4, 2, TC + C), dtype=v.dtype)                 # Bᵀ down the tile row
    for nt in range(N * th):
        n = nt // th
        ty = nt - n * th
        r = rows[n, 2 * ty:2 * ty + 4]                          # (4, 2, (tw+1)*C)
        for j in range(2):
            _b_t(r[0, j], r[1, j], r[2, j], r[3, j], t[0, j], t[1, j], t[2, j], t[3, j], TC + C)
        for a in range(4):                                      # then Bᵀ across each tile:
            even, odd = t[a, 0], t[a, 1]                        # columns 2tx, 2tx+1 at f,
            b = 4 * a                                           # 2tx+2, 2tx+3 at f + C
            _b_t(even, odd, even[C:], odd[C:], v[b, nt], v[b + 1, nt], v[b + 2, nt],
                 v[b + 3, nt], TC)


@njit(nogil=True, cache=True)
def _output(m, bias_tiles, y, th, tw):
    N, OC = y.shape[:2]
    TO = tw * OC
    across = np.empty((4, 2, TO), dtype=y.dtype)                # Aᵀ across each tile
    out = np.empty((2, 2, TO), dtype=y.dtype)                   # (row, column parity, tx*OC + o)
    no_bias = np.zeros(TO, dtype=y.dtype)
    for nt in range(N * th):
        n = nt // th
        ty = nt - n * th
        for a in range(4):
            b = 4 * a
            _a_t(m[b, nt], m[b + 1, nt], m[b + 2, nt], m[b + 3, nt], across[a, 0], across[a, 1],
                 no_bias, TO)
        for j in range(2):                                      # then Aᵀ down it
            _a_t(across[0, j], across[1, j], across[2, j], across[3, j], out[0, j], out[1, j],
                 bias_tiles, TO)
        for i in range(2):
            planes_phases(y[n, :, 2 * ty + i], out[i], 0, False)


@njit(nogil=True, cache=True)
def _output_grad(g, dm, th, tw):
    N, OC = g.shape[:2]
    TO = tw * OC
    rows = np.empty((2, 2, TO), dtype=g.dtype)                  # (row, column parity, tx*OC + o)
    h = np.empty((4, 2, TO), dtype=g.dtype)                     # A down each tile
    for nt in range(N * th):
        n = nt // th
        ty = nt - n * th
        for i in range(2):
            planes_phases(g[n, :, 2 * ty + i], rows[i], 0, True)
        for j in range(2):
            _a(rows[0, j], rows[1, j], h[0, j], h[1, j], h[2, j], h[3, j], TO)
        for a in range(4):                                      # then A across it
            b = 4 * a
            _a(h[a, 0], h[a, 1], dm[b, nt], dm[b + 1, nt], dm[b + 2, nt], dm[b + 3, nt], TO)


@njit(nogil=True, cache=True)
def _input_grad_rows(dv, rows, th, tw):
    N, C = rows.shape[0], rows.shape[3] // (tw + 1)
    TC = tw * C
    e = np.empty((4, 2, TC + C), dtype=dv.dtype)                # B across the tiles
    for nt in range(N * th):
        n = nt // th
        ty = nt - n * th
        for a in range(4):
            u0, u1, u2, u3 = dv[4 * a, nt], dv[4 * a + 1, nt], dv[4 * a + 2, nt], dv[4 * a + 3, nt]
            even, odd = e[a, 0], e[a, 1]
            for f in range(TC):                                 # columns 2tx, 2tx+1
                even[f] = u0[f]
            for f in range(TC):
                odd[f] = u1[f] - u2[f] + u3[f]
            even[TC:] = 0
            odd[TC:] = 0
            next_even, next_odd = even[C:], odd[C:]             # 2tx+2, 2tx+3: the next
            for f in range(TC):                                 # tile's first two
                next_even[f] += u1[f] + u2[f] - u0[f]
            for f in range(TC):
                next_odd[f] -= u3[f]
        r = rows[n, 2 * ty:2 * ty + 4]                          # then B down them, added
        for j in range(2):                                      # onto the padded rows
            e0, e1, e2, e3 = e[0, j], e[1, j], e[2, j], e[3, j]
            r0, r1, r2, r3 = r[0, j], r[1, j], r[2, j], r[3, j]
            for f in range(TC + C):
                r0[f] += e0[f]
            for f in range(TC + C):
                r1[f] += e1[f] - e2[f] + e3[f]
            for f in range(TC + C):
                r2[f] += e1[f] + e2[f] - e0[f]
            for f in range(TC + C):
                r3[f] -= e3[f]


def transformed_input(transform, x, padding, step, kernel=3):
    """x (N, C, H, W) -> V = Bᵀ d B for every α×α tile d of a kernel×kernel window, α =
    step + kernel − 1, tiles `step` apart, (α², N·th·tw, C): the image copied into padded
    rows split into `step` column phases (to_rows), each phase ⌈(kernel − 1) / step⌉ tiles
    longer than the tile row, then `transform` (rows, V viewed as (α², N·th, tw·C), th,
    tw)."""
    x = as_c(x)
    N, C = x.shape[:2]
    _, (th, tw) = winograd_tiles(x.shape[2:], padding, step, kernel)
    spill = -(-(kernel - 1) // step)
    rows = np.zeros((N, step * th + kernel - 1, step, (tw + spill) * C), dtype=x.dtype)
    to_rows(x, rows, padding[0], padding[1])
    v = np.empty(((step + kernel - 1) ** 2, N * th * tw, C), dtype=x.dtype)
    transform(rows, v.reshape(-1, N * th, tw * C), th, tw)
    return v


def transformed_output(transform, m, output_shape, bias, out, step):
    """M (α², N·th·tw, OC) -> y (N, OC, oh, ow) through `transform` (M viewed as
    (α², N·th, tw·OC), bias tiled tw times, y covering whole tiles, th, tw); written into
    `out` (C-contiguous, of that shape) when given."""
    N, OC, oh, ow = output_shape
    th, tw = -(-oh // step), -(-ow // step)
    m = as_c(m).reshape(-1, N * th, tw * OC)
    bias = np.zeros(OC, dtype=m.dtype) if bias is None else bias.astype(m.dtype, copy=False)
    whole = (step * th, step * tw) == (oh, ow)
    if out is None or not whole or not out.flags.c_contiguous:
        y = np.empty((N, OC, step * th, step * tw), dtype=m.dtype)
    else:
        y = out
    transform(m, np.tile(bias, tw), y, th, tw)
    if y is out:
        return out
    if out is None:
        return y if whole else np.ascontiguousarray(y[:, :, :oh, :ow])
    out[...] = y[:, :, :oh, :ow]
    return out


def winograd_input(x, padding):
    """x (N, C, H, W) -> V = Bᵀ d B for every 4×4 tile d, (16, N·th·tw, C)."""
    return transformed_input(_input, x, padding, 2)


def winograd_output(m, output_shape, bias=None, out=None):
    """M (16, N·th·tw, OC) -> y = Aᵀ M A per tile (+ bias), cut to `output_shape` (N, OC, oh, ow);
    written into `out` (C-contiguous, of that shape) when given."""
    return transformed_output(_output, m, output_shape, bias, out, 2)


def winograd_output_grad(g):
    """dY (N, OC, oh, ow) -> dM = A dY Aᵀ per 2×2 tile (zeros past an odd edge),
    (16, N·th·tw, OC)."""
    N, OC, oh, ow = g.shape
    th, tw = (oh + 1) // 2, (ow + 1) // 2
    if (2 * th, 2 * tw) != (oh, ow):
        g_even = np.zeros((N, OC, 2 * th, 2 * tw), dtype=g.dtype)
        g_even[:, :, :oh, :ow] = g
        g = g_even
    g = as_c(g)
    dm = np.empty((16, N * th * tw, OC), dtype=g.dtype)
    _output_grad(g, dm.reshape(16, N * th, tw * OC), th, tw)
    return dm


def winograd_input_grad(dv, input_shape, padding):
    """dV (16, N·th·tw, C) -> dX (N, C, H, W): B dV Bᵀ per tile, summed where tiles overlap,
    padding dropped."""
    N, C, H, W = map(int, input_shape)
    _, (th, tw) = winograd_tiles((H, W), padding)
    dv = as_c(dv).reshape(16, N * th, tw * C)
    rows = np.zeros((N, 2 * th + 2, 2, (tw + 1) * C), dtype=dv.dtype)
    _input_grad_rows(dv, rows, th, tw)
    dx = np.empty((N, C, H, W), dtype=dv.dtype)
    _from_rows(rows, dx, padding[0], padding[1])
    return dx
