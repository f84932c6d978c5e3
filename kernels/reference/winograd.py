"""Winograd F(2×2, 3×3): a stride-1 3×3 convolution with 16 multiplications per 2×2 output
tile instead of 36.

In one dimension, two outputs of a 3-tap correlation over four inputs d are

    y = Aᵀ [(G g) ⊙ (Bᵀ d)]

with transforms that Cook–Toom interpolation at the points 0, 1, −1 and ∞ derives
(_cook_toom.py computes them, exactly, when this module loads):

         ⎡1  0 −1  0⎤         ⎡ 1    0    0 ⎤
    Bᵀ = ⎢0  1  1  0⎥     G = ⎢1/2  1/2  1/2⎥     Aᵀ = ⎡1  1  1  0⎤
         ⎢0 −1  1  0⎥         ⎢1/2 −1/2  1/2⎥          ⎣0  1 −1 −1⎦
         ⎣0  1  0 −1⎦         ⎣ 0    0    1 ⎦

Row i of G evaluates the filter at the i-th point (divided by the Lagrange denominator),
row i of Bᵀ holds the coefficients of that point's Lagrange numerator, and column i of Aᵀ
evaluates the output polynomial there (the rows of 0 and ∞ signed as _cook_toom.py says).
Nesting it in both dimensions gives, for every 4×4 input tile d (overlapping its neighbours
by 2) and every 3×3 filter g,

    Y (2×2) = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A.

Summed over input channels, the elementwise product becomes 16 independent matrix products,
one per position ξ of the 4×4 transformed tile:

    M[ξ] = V[ξ] · U[ξ]ᵀ,   V = Bᵀ d B (16, N·tiles, C),   U = G g Gᵀ (16, OC, C)

which is where the time goes (1.07 GFLOP instead of 2.4 for N32 64→64 32²). Every transform is
linear, so the gradients are the transposed transforms applied in reverse:

    dM = A dY Aᵀ,   dU[ξ] = dM[ξ]ᵀ · V[ξ],   dV[ξ] = dM[ξ] · U[ξ],
    dW = Gᵀ dU G,   dX = Σ over the tiles covering a pixel of B dV Bᵀ.

Tiles are numbered (n, tile row, tile column), channels last, so that the fast form's inner
loops run along contiguous channels. An odd output size gets a last tile that reaches one
row (or column) past it: the input is zero-padded to cover it and that part of the result
is dropped.
"""
from ..shapes import winograd_tiles
from ._cook_toom import winograd_matrices
from ._xp import xp_of

# (2, 4) output, (4, 3) filter and (4, 4) input transforms
A_T, G, B_T = winograd_matrices((0, 1, -1), 2)


def _const(matrix, like):
    return xp_of(like).asarray(matrix, dtype=like.dtype)


def _filter_transform(like, g_matrix=G):
    """G ⊗ G (α², r²) for G (α, r): row α·a + b maps a flattened r×r filter g to
    (G g Gᵀ)[a, b]."""
    g = _const(g_matrix, like)
    return xp_of(like).kron(g, g)


def _transformed_weight(w, g_matrix):
    """w (OC, C, r, r) -> U = G g Gᵀ for G (α, r), laid out (α², OC, C): one GEMM over
    every filter."""
    OC, C = w.shape[:2]
    u = _filter_transform(w, g_matrix) @ w.reshape(OC * C, -1).T         # (α², OC·C)
    return u.reshape(-1, OC, C)


def _padded(x, padding, tiles, step, kernel):
    """x zero-padded by `padding`, and further at the bottom/right to cover every tile of
    step + kernel − 1 pixels, `step` apart."""
    (ph, pw), (th, tw) = padding, tiles
    N, C, H, W = x.shape
    span = kernel - 1
    extra_h, extra_w = step * th + span - (H + 2 * ph), step * tw + span - (W + 2 * pw)
    return xp_of(x).pad(x, ((0, 0), (0, 0), (ph, ph + extra_h), (pw, pw + extra_w)))


def _transformed_input(x, padding, b_t, kernel=3):
    """x (N, C, H, W) -> V = Bᵀ d B for every α×α tile d of a kernel×kernel window (tiles
    α − kernel + 1 apart), (α², N·th·tw, C), for Bᵀ (α, α)."""
    xp = xp_of(x)
    N, C = x.shape[:2]
    alpha = b_t.shape[0]
    step = alpha - kernel + 1
    _, (th, tw) = winograd_tiles(x.shape[2:], padding, step, kernel)
    xpad = _padded(x, padding, (th, tw), step, kernel)  # (N, C, step·th+k−1, step·tw+k−1)
    d = xp.empty((N, C, th, tw, alpha, alpha), dtype=x.dtype)  # every tile
    for i in range(alpha):
        for j in range(alpha):
            d[..., i, j] = xpad[:, :, i:i + step * th:step, j:j + step * tw:step]
    bt = _const(b_t, x)
    v = xp.einsum("ai,ncyxij,bj->abnyxc", bt, d, bt)                   # (α, α, N, th, tw, C)
    return v.reshape(alpha * alpha, N * th * tw, C)


def _transformed_output(m, output_shape, bias, out, a_t):
    """M (α², N·th·tw, OC) -> y = Aᵀ M A per tile (+ bias) for Aᵀ (tile, α), cut to
    `output_shape` (N, OC, oh, ow); written into `out` (of that shape) when given."""
    xp = xp_of(m)
    N, OC, oh, ow = output_shape
    step, alpha = a_t.shape
    th, tw = -(-oh // step), -(-ow // step)
    at = _const(a_t, m)
    m = m.reshape(alpha, alpha, N, th, tw, OC)
    y = xp.einsum("ia,abnyxo,jb->noyixj", at, m, at)             # (N, OC, th, step, tw, step)
    y = y.reshape(N, OC, step * th, step * tw)[:, :, :oh, :ow]
    if bias is not None:
        y = y + bias.reshape(1, OC, 1, 1)
    if out is None:
        return xp.ascontiguousarray(y)
    out[...] = y
    return out


def winograd_weight(w):
    """w (OC, C, 3, 3) -> U = G g Gᵀ, laid out (16, OC, C): one GEMM over every filter."""
    return _transformed_weight(w, G)


def winograd_weight_grad(du):
    """dU (16, OC, C) -> dW = Gᵀ dU G, (OC, C, 3, 3)."""
    OC, C = du.shape[1:]
    return (du.reshape(16, OC * C).T @ _filter_transform(du)).reshape(OC, C, 3, 3)


def winograd_input(x, padding):
    """x (N, C, H, W) -> V = Bᵀ d B for every 4×4 tile d, (16, N·th·tw, C)."""
    return _transformed_input(x, padding, B_T)


def winograd_output(m, output_shape, bias=None, out=None):
    """M (16, N·th·tw, OC) -> y = Aᵀ M A per tile (+ bias), cut to `output_shape` (N, OC, oh, ow);
    written into `out` (of that shape) when given."""
    return _transformed_output(m, output_shape, bias, out, A_T)


def winograd_output_grad(g):
    """dY (N, OC, oh, ow) -> dM = A dY Aᵀ per 2×2 tile (zeros past an odd edge),
    (16, N·th·tw, OC)."""
    xp = xp_of(g)
    N, OC, oh, ow = g.shape
    th, tw = (oh + 1) // 2, (ow + 1) // 2
    gpad = xp.zeros((N, OC, 2 * th, 2 * tw), dtype=g.dtype)
    gpad[:, :, :oh, :ow] = g
    at = _const(A_T, g)
    tiles = gpad.reshape(N, OC, th, 2, tw, 2)                           # (N, OC, th, 2, tw, 2)
    dm = xp.einsum("ia,noyixj,jb->abnyxo", at, tiles, at)              # (4, 4, N, th, tw, OC)
    return dm.reshape(16, N * th * tw, OC)


def winograd_input_grad(dv, input_shape, padding):
    """dV (16, N·th·tw, C) -> dX (N, C, H, W): B dV Bᵀ per tile, summed where tiles overlap,
    padding dropped."""
    xp = xp_of(dv)
    N, C, H, W = input_shape
    (ph, pw) = padding
    _, (th, tw) = winograd_tiles((H, W), padding)
    bt = _const(B_T, dv)
    dv = dv.reshape(4, 4, N, th, tw, C)
    dd = xp.einsum("ai,abnyxc,bj->ncyxij", bt, dv, bt)                 # (N, C, th, tw, 4, 4)
    dpad = xp.zeros((N, C, 2 * th + 2, 2 * tw + 2), dtype=dv.dtype)
    for i in range(4):
        for j in range(4):
            # within one (i, j) every tile touches a different pixel, so += never collides
            dpad[:, :, i:i + 2 * th:2, j:j + 2 * tw:2] += dd[..., i, j]
    return xp.ascontiguousarray(dpad[:, :, ph:ph + H, pw:pw + W])
