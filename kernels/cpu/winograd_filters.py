"""Winograd filter transforms, U = G g Gᵀ for F(2×2, 3×3), F(4×4, 3×3) and F(2×2, 5×5), and
F(2×2, 3×3)'s adjoint dW = Gᵀ dU G, as Numba loops parallel over the output channels.

The reference form is one GEMM, (G ⊗ G) (16, 9) by every flattened filter. Here each
filter's 9 taps go straight to its 16 outputs, separable as G down the taps' columns, then
across, in the filters' dtype; per output channel the taps are first copied channels-last,
so that loads and stores run along contiguous input channels. Numba sees a strided view as
an 'A'-layout array and does not vectorise it, so the loops write the whole C-contiguous
array. The forward keeps pace with the reference's single GEMM and the gradient beats it,
without BLAS's threads, whose sleeping helper a two-thread GEMM must first wake.
"""
import numpy as np
from numba import njit, prange

from ._windows import as_c


@njit(nogil=True, inline="always")
def _g(a, b, c, half):
    """G (4, 3) applied to the 3-vector (a, b, c)."""
    return a, (a + b + c) * half, (a - b + c) * half, c


@njit(nogil=True, inline="always")
def _g_t(a, b, c, d, half):
    """Gᵀ (3, 4) applied to the 4-vector (a, b, c, d)."""
    return a + (b + c) * half, (b - c) * half, (b + c) * half + d


@njit(nogil=True, inline="always")
def _taps(w, o):
    """Output channel o's r×r filters, taps first and channels last: (r², C)."""
    C, r = w.shape[1], w.shape[2]
    t = np.empty((r * r, C), dtype=w.dtype)
    for c in range(C):
        for i in range(r):
            for j in range(r):
                t[r * i + j, c] = w[o, c, i, j]
    return t


@njit(parallel=True, cache=True)
def _weight(w, u, half):
    OC, C = w.shape[:2]
    for o in prange(OC):
        t = _taps(w, o)                                                 # (9, C)
        for c in range(C):                                                # G g, by column
            a0, a1, a2, a3 = _g(t[0, c], t[3, c], t[6, c], half)
            b0, b1, b2, b3 = _g(t[1, c], t[4, c], t[7, c], half)
            c0, c1, c2, c3 = _g(t[2, c], t[5, c], t[8, c], half)
            u[0, o, c], u[1, o, c], u[2, o, c], u[3, o, c] = _g(a0, b0, c0, half)  # then Gᵀ
            u[4, o, c], u[5, o, c], u[6, o, c], u[7, o, c] = _g(a1, b1, c1, half)
            u[8, o, c], u[9, o, c], u[10, o, c], u[11, o, c] = _g(a2, b2, c2, half)
            u[12, o, c], u[13, o, c], u[14, o, c], u[15, o, c] = _g(a3, b3, c3, half)


@njit(nogil=True, inline="always")
def _g4(a, b, c, k):
    """G (6, 3) of F(4×4, 3×3) applied to the 3-vector (a, b, c); k = (1/4, 1/6, 1/12, 1/24)
    as a tuple of scalars in the filters' dtype (as an array, every store to U could alias
    it, and nothing would vectorise)."""
    s, t = (a + c) * k[1], b * k[1]
    p, q = a * k[3] + c * k[1], b * k[2]
    return a * k[0], -s - t, t - s, p + q, p - q, c


@njit(nogil=True, inline="always")
def _g4_rows(p, q, r, out, k):
    """out[i, c] = (G (6, 3) applied to (p[c], q[c], r[c]))[i] for every c."""
    o0, o1, o2, o3, o4, o5 = out[0], out[1], out[2], out[3], out[4], out[5]
    for c in range(p.shape[0]):
        o0[c], o1[c], o2[c], o3[c], o4[c], o5[c] = _g4(p[c], q[c], r[c], k)


@njit(parallel=True, cache=True)
def _weight4(w, u, k):
    OC, C = w.shape[:2]
    for o in prange(OC):
        t = _taps(w, o)                                                 # (9, C)
        gg = np.empty((3, 6, C), dtype=w.dtype)                       # G g, by column j
        for j in range(3):
            _g4_rows(t[j], t[3 + j], t[6 + j], gg[j], k)
        rows = np.empty((6, 6, C), dtype=w.dtype)                     # then Gᵀ, by row a
        for a in range(6):
            _g4_rows(gg[0, a], gg[1, a], gg[2, a], rows[a], k)
        for a in range(6):
            for b in range(6):
                u[6 * a + b, o] = rows[a, b]


@njit(nogil=True, inline="always")
def _g5(a, b, c, d, e, k):
    """G (6, 5) of F(2×2, 5×5) applied to the 5-vector (a, b, c, d, e); k = (1/4, 1/6, 1/24)
    as a tuple of scalars, as in _g4."""
    even, odd = a + c + e, b + d
    p, q = a + 4 * c + 16 * e, 2 * b + 8 * d
    return a * k[0], -(even + odd) * k[1], (odd - even) * k[1], (p + q) * k[2], \
        (p - q) * k[2], e


@njit(nogil=True, inline="always")
def _g5_rows(p, q, r, s, t, out, k):
    """out[i, c] = (G (6, 5) applied to (p[c], q[c], r[c], s[c], t[c]))[i] for every c."""
    o0, o1, o2, o3, o4, o5 = out[0], out[1], out[2], out[3], out[4], out[5]
    for c in range(p.shape[0]):
        o0[c], o1[c], o2[c], o3[c], o4[c], o5[c] = _g5(p[c], q[c], r[c], s[c], t[c], k)


@njit(parallel=True, cache=True)
def _weight5(w, u, k):
    OC, C = w.shape[:2]
    for o in prange(OC):
        t = _taps(w, o)                                                 # (25, C)
        gg = np.empty((5, 6, C), dtype=w.dtype)                       # G g, by column j
        for j in range(5):
            _g5_rows(t[j], t[5 + j], t[10 + j], t[15 + j], t[20 + j], gg[j], k)
        rows = np.empty((6, 6, C), dtype=w.dtype)                     # then Gᵀ, by row a
        for a in range(6):
            _g5_rows(gg[0, a], gg[1, a], gg[2, a], gg[3, a], gg[4, a], rows[a], k)
        for a in range(6):
            for b in range(6):
                u[6 * a + b, o] = rows[a, b]


@njit(parallel=True, cache=True)
def _weight_grad(du, dw, half):
    OC, C = du.shape[1:]
    for o in prange(OC):
        t = np.empty((9, C), dtype=du.dtype)                          # taps, channels last
        for c in range(C):                                                # Gᵀ dU, by column
            a0, a1, a2 = _g_t(du[0, o, c], du[4, o, c], du[8, o, c], du[12, o, c], half)
            b0, b1, b2 = _g_t(du[1, o, c], du[5, o, c], du[9, o, c], du[13, o, c], half)
            c0, c1, c2 = _g_t(du[2, o, c], du[6, o, c], du[10, o, c], du[14, o, c], half)
            e0, e1, e2 = _g_t(du[3, o, c], du[7, o, c], du[11, o, c], du[15, o, c], half)
            t[0, c], t[1, c], t[2, c] = _g_t(a0, b0, c0, e0, half)        # then G, by row
            t[3, c], t[4, c], t[5, c] = _g_t(a1, b1, c1, e1, half)
            t[6, c], t[7, c], t[8, c] = _g_t(a2, b2, c2, e2, half)
        for c in range(C):
            for i in range(3):
                for j in range(3):
                    dw[o, c, i, j] = t[3 * i + j, c]


def winograd_weight(w):
    """w (OC, C, 3, 3) -> U = G g Gᵀ, laid out (16, OC, C)."""
    w = as_c(w)
    u = np.empty((16, *w.shape[:2]), dtype=w.dtype)
    _weight(w, u, w.dtype.type(0.5))
    return u


def winograd4_weight(w):
    """w (OC, C, 3, 3) -> U = G g Gᵀ of F(4×4, 3×3), laid out (36, OC, C)."""
    w = as_c(w)
    u = np.empty((36, *w.shape[:2]), dtype=w.dtype)
    _weight4(w, u, tuple(w.dtype.type(1 / d) for d in (4, 6, 12, 24)))
    return u


def winograd5_weight(w):
    """w (OC, C, 5, 5) -> U = G g Gᵀ of F(2×2, 5×5), laid out (36, OC, C)."""
    w = as_c(w)
    u = np.empty((36, *w.shape[:2]), dtype=w.dtype)
    _weight5(w, u, tuple(w.dtype.type(1 / d) for d in (4, 6, 24)))
    return u


def winograd_weight_grad(du):
    """dU (16, OC, C) -> dW = Gᵀ dU G, (OC, C, 3, 3)."""
    du = as_c(du)
    dw = np.empty((*du.shape[1:], 3, 3), dtype=du.dtype)
    _weight_grad(du, dw, du.dtype.type(0.5))
    return dw
