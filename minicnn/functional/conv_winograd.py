"""Stride-1 convolution by Winograd's minimal filtering (kernels/reference/winograd.py has
the algebra), the "winograd_f2", "winograd_f4" and "winograd_5x5" algorithms of
conv_select.py: per cache-sized batch chunk, the input tiles are transformed, multiplied by
the transformed filters in 16 GEMMs (per group: each group's channel slice of the tiles by
its filters), and transformed back. For a 3×3 window F(2×2, 3×3) takes 2.25× fewer
multiplications than im2col + GEMM, for the forward pass and both gradients alike. A
forward that needs no gradient may take F(4×4, 3×3) (kernels/reference/winograd4.py), where
the map has enough tiles: 36 GEMMs, 4× fewer multiplications than im2col; and a 5×5 window
F(2×2, 5×5) (kernels/reference/winograd5.py): 36 GEMMs, 2.8× fewer.

The transforms add and subtract neighbouring values of a tile, so an inf or a NaN in one
pixel (or one that overflows there) reaches outputs whose window does not hold it, and
inf − inf turns PyTorch's ±inf into NaN. The selector therefore takes this path only where
winograd_stays_finite bounds every value the transforms make, and the gradients come from
im2col (conv_gemm.py) where dY's values break that bound.
"""
import numpy as np

from .. import kernels
from ..autograd import Function
from ..kernels.shapes import winograd_tiles
from ..threads import ThreadSums, batch_shares, parallel_for
from ._common import xp
from .conv_gemm import gemm_grads
from .workspace import CORE_L2_BYTES, get_workspace_limit, over_batch_chunks, threaded


# Below this many input channels the tile transforms cost more than the GEMMs save: an RGB
# stem runs faster through im2col.
MIN_CHANNELS = 16
# Rows (tiles) the 16 GEMMs of a batch chunk should have at least: on deep layers with few
# tiles per image a cache-sized chunk gives thin GEMMs (512 channels at 4×4, 8 images:
# 32 rows), which BLAS runs far below its rate. More rows than that cost cache where L2 is
# small: 512 rows suit 2 MiB of L2 per core, 128-256 suit 512 KiB, hence one row per 4 KiB
# of L2, and never under 128.
MIN_GEMM_ROWS = max(128, CORE_L2_BYTES // 4096)
# 4×4 output tiles per image from which F(4×4, 3×3) is taken when no gradient is wanted:
# at 32² and 16² it beats F(2×2, 3×3); at 8² (4 tiles) its GEMMs are too thin to gain.
MIN_TILES4 = 16
# 2×2 output tiles per image from which F(2×2, 5×5) is taken: at 14² (49 tiles) it beats
# im2col, at 7² (16 tiles) its transforms cost more than its GEMMs save.
MIN_TILES5 = 49
# 2×2 output tiles a batch must hold for either 3×3 algorithm to pay: below it (512
# channels at 4×4 or 7×7 for fewer than 8 images, ResNet-18 and ResNet-50 on one image) the
# GEMMs are too thin to pay back the filter transform and the 16/9 larger transformed
# filters they read, and im2col's one GEMM over plain filters runs faster (at 128, ResNet-18
# CIFAR on 32 images, Winograd still does; benchmarks/NOTES.md).
MIN_BATCH_TILES = 128
# F(4×4, 3×3) takes 36/16 products per output against F(2×2, 3×3)'s 16/4, each times the
# share of its tiles' outputs that fall past the map's edge. Its transforms cost more per
# output, so it pays only where its products are at most this share of F(2×2)'s: at 14²
# and 13² (ResNet-50's layer3, AlexNet's conv3-5) its 4×4 tiles cover 16², 31% and 51%
# more than the map, its share is 0.74, and F(2×2) runs faster (benchmarks/NOTES.md).
F4_PRODUCT_SHARE = 0.65
# F(4×4)'s tiles are 36 products each, against F(2×2)'s 16, so its chunks hold as many
# bytes of tiles with 16/36 as many rows. AlexNet's stem through space-to-depth (196 tiles
# an image, 2.7 MB of products) thus goes one image a chunk.
MIN_GEMM_ROWS4 = MIN_GEMM_ROWS * 16 // 36
# Deep layers on small maps (512 channels at 4×4 or 7×7) hold too few tiles per image to
# give each thread's share of the batch GEMMs of MIN_GEMM_ROWS rows. Their forward
# transforms the whole batch at once on the calling thread (the transforms are short there)
# and hands the α² GEMMs, each over every tile, to the threads this many at a time.
POINTS_A_PART = 4
# How far the transforms can carry a value beyond the sum a direct convolution makes of the
# same products: F(4×4, 3×3)'s input transform scales a tile by up to 10 along each axis
# and its output transform by up to 19, about 4000 times the direct sum's bound overall
# (F(2×2, 3×3): 9 forward, 36 for the gradients; F(2×2, 5×5), with F(4×4)'s input transform
# and an output transform of at most 7, less); 2¹⁶ leaves a margin for rounding.
TRANSFORM_GROWTH = 2.0 ** 16


def _sums_stay_finite(magnitude, terms, dtype):
    """Whether sums of `terms` products each at most `magnitude` in size stay finite in
    `dtype` with TRANSFORM_GROWTH to spare; never where `magnitude` is inf or NaN."""
    return magnitude * terms * TRANSFORM_GROWTH < float(np.finfo(dtype).max)


def _max_abs(a):
    return kernels.get("max_abs", a)(a)


def magnitudes(x, w):
    """(max|x|, max|w|) of the arrays x and w: what winograd_stays_finite bounds."""
    return _max_abs(x), _max_abs(w)


def winograd_stays_finite(x, w, known=None):
    """Whether the Winograd transforms of arrays x (N, C, H, W) and w (OC, C/G, kh, kw),
    each output summing C/G·kh·kw products, make only finite values, so that their outputs
    equal a direct convolution's: max|x| · max|w| · C/G·kh·kw bounded with
    TRANSFORM_GROWTH to spare. An inf, a NaN or a value near overflow fails it. `known`:
    magnitudes(x, w) where already read."""
    x_max, w_max = known or magnitudes(x, w)
    return _sums_stay_finite(x_max * w_max, w[0].size, x.dtype)


def _group_slices(groups, in_channels, out_channels):
    """Per group: its input-channel slice and its output-channel slice."""
    cg, og = in_channels // groups, out_channels // groups
    return [(slice(i * cg, (i + 1) * cg), slice(i * og, (i + 1) * og)) for i in range(groups)]


def winograd4_pays(oh, ow):
    """Whether an (oh, ow) output has enough 4×4 tiles per image for F(4×4, 3×3)'s GEMMs."""
    return -(-oh // 4) * -(-ow // 4) >= MIN_TILES4


def winograd_batch_pays(n, oh, ow):
    """Whether n images of (oh, ow) outputs hold MIN_BATCH_TILES 2×2 tiles between them."""
    return n * -(-oh // 2) * -(-ow // 2) >= MIN_BATCH_TILES


def winograd5_pays(oh, ow):
    """Whether an (oh, ow) output has enough 2×2 tiles per image for F(2×2, 5×5)."""
    return -(-oh // 2) * -(-ow // 2) >= MIN_TILES5


def _covered(side, tile):
    """The outputs along one axis that tiles of `tile` outputs cover: side rounded up."""
    return -(-side // tile) * tile


def winograd4_beats_winograd2(oh, ow):
    """Whether F(4×4, 3×3) pays over F(2×2, 3×3) for an (oh, ow) output: enough 4×4 tiles
    (winograd4_pays) and products per output, tiles past the edge counted, at most
    F4_PRODUCT_SHARE of F(2×2)'s."""
    products4 = 36 * _covered(oh, 4) * _covered(ow, 4) / 16
    products2 = 16 * _covered(oh, 2) * _covered(ow, 2) / 4
    return winograd4_pays(oh, ow) and products4 <= F4_PRODUCT_SHARE * products2


def _as_is(a):
    return a


def _transforms(tile, kernel, w, x):
    """The weight, input and output transforms of F(tile×tile, kernel×kernel): F(2×2, 3×3),
    F(4×4, 3×3) or F(2×2, 5×5), in the kernel forms chosen for w and x."""
    if kernel == 5:
        return (kernels.get("winograd5_weight", w), kernels.get("winograd5_input", x),
                kernels.get("winograd5_output", x))
    if tile == 2:
        return (kernels.get("winograd_weight", w), kernels.get("winograd_input", x),
                kernels.get("winograd_output", x))
    return (kernels.get("winograd4_weight", w), kernels.get("winograd4_input", x),
            kernels.get("winograd4_output", x))


def _convolve(x, w, b, padding, groups, tile, prepare=_as_is, min_rows=MIN_GEMM_ROWS):
    """y of a stride-1 convolution by Winograd F(tile×tile, r×r), r the window of w (OC,
    C/G, r, r) and (tile, r) one of _transforms', and the transformed filters U (α², OC,
    C/G). With `prepare`, what is convolved is prepare(x[part]) for each batch chunk
    x[part] (conv_space_to_depth.py's rearrangement, made while the chunk is in cache)
    instead of x[part]. Chunks hold at least `min_rows` tiles where the batch allows."""
    m = xp(x)
    N = x.shape[0]
    C, H, W = prepare(x[:0]).shape[1:]
    OC, kernel = w.shape[0], w.shape[2]
    (oh, ow), (th, tw) = winograd_tiles((H, W), padding, tile, kernel)
    weight_transform, to_tiles, from_tiles = _transforms(tile, kernel, w, x)
    u = weight_transform(w)                                             # (α², OC, C/G)
    slices = _group_slices(groups, C, OC)
    out = m.empty((N, OC, oh, ow), dtype=x.dtype)

    def multiply(v, products, points=slice(None)):                     # M[ξ] = V[ξ] · U[ξ]ᵀ
        for cs, os in slices:
            m.matmul(v[points, :, cs], u[points, os].swapaxes(1, 2),
                     out=products[points, :, os])

    def convolve(part):
        v = to_tiles(prepare(x[part]), padding)                         # (α², n*T, C)
        products = m.empty((u.shape[0], v.shape[1], OC), dtype=x.dtype)  # M: (α², n*T, OC)
        multiply(v, products)
        from_tiles(products, (v.shape[1] // (th * tw), OC, oh, ow), b, out=out[part])

    bytes_per_image = u.shape[0] * max(C, OC) * th * tw * x.itemsize
    if _gemms_split_over_points(m, N, th * tw, min_rows, bytes_per_image):
        v = to_tiles(prepare(x), padding)                               # (α², N*T, C)
        products = m.empty((u.shape[0], v.shape[1], OC), dtype=x.dtype)
        parallel_for(lambda points: multiply(v, products, points), _point_parts(u.shape[0]))
        from_tiles(products, (N, OC, oh, ow), b, out=out)
    else:
        over_batch_chunks(m, convolve, N, bytes_per_image, -(-min_rows // (th * tw)))
    return out, u


def _point_parts(points):
    """The transform points 0 .. points − 1 as parallel_for's parts, POINTS_A_PART each."""
    return [slice(i, i + POINTS_A_PART) for i in range(0, points, POINTS_A_PART)]


def _gemms_split_over_points(m, n, tiles, min_rows, bytes_per_image):
    """Whether a pass over n images of `tiles` tiles each runs its GEMMs split over the
    transform points: on threads, where a share of the batch (threads.batch_shares: fixed
    in deterministic mode, so that the choice does not depend on the thread count) would
    hold fewer than `min_rows` tiles and the whole batch's tiles fit the workspace limit."""
    return (threaded(m) and 0 < -(-n // batch_shares()) * tiles < min_rows
            and n * bytes_per_image <= get_workspace_limit())


def _grads_stay_finite(x, w, g, needs_input_grad, known=None):
    """Whether the transforms of dY = g keep dX (sums of at most OC·9 products of dY and w)
    and dW (sums of N·oh·ow products of dY and x) finite, for the gradients wanted.
    `known`: magnitudes(x, w), read by the forward's checks, else None (read here)."""
    need_x, need_w, _ = needs_input_grad
    if not (need_x or need_w):
        return True
    x_max, w_max = known or (None, None)
    g_max = _max_abs(g)
    return ((not need_x or _sums_stay_finite(
                g_max * (_max_abs(w) if w_max is None else w_max), w[:, 0].size, g.dtype))
            and (not need_w or _sums_stay_finite(
                g_max * (_max_abs(x) if x_max is None else x_max), g[:, 0].size, g.dtype)))


class Conv2dWinograd(Function):
    """y = Aᵀ [U ⊙ V] A per 2×2 output tile, U = G g Gᵀ, V = Bᵀ d B: 16 GEMMs V[ξ] · U[ξ]ᵀ;
    with tile=4, per 4×4 tile and 36 GEMMs, and for a 5×5 window, per 2×2 tile and 36
    GEMMs, forward only (the "winograd_f4" and "winograd_5x5" algorithms, which the
    selector takes only where no input records a gradient)."""

    fresh_input_grads = True

    @staticmethod
    def forward(ctx, x, w, b, padding, groups=1, tile=2, magnitudes=None):
        """`magnitudes`: (max|x|, max|w|) where the caller read them (the selector's check),
        kept for the backward's; the autograd engine refuses a backward after an in-place
        change to x or w, so they still hold there."""
        if tile == 4 or w.shape[2] == 5:
            return _convolve(x, w, b, padding, groups, tile, min_rows=MIN_GEMM_ROWS4)[0]
        out, u = _convolve(x, w, b, padding, groups, 2)
        ctx.save_for_backward(x, w, u)
        ctx.params = padding, groups, magnitudes
        return out

    @staticmethod
    def backward(ctx, g):
        """dM = A dY Aᵀ; dU = dMᵀ · V, dW = Gᵀ dU G; dV = dM · U, dX = Σ_tiles B dV Bᵀ;
        db = Σ dY. Where dY's values break the transforms' bound, im2col's gradients."""
        x, w, u = ctx.saved_arrays                                       # u: (16, OC, C/G)
        padding, groups, known = ctx.params
        if not _grads_stay_finite(x, w, g, ctx.needs_input_grad, known):
            return gemm_grads(x, w, g, ((3, 3), (1, 1), padding, (1, 1)), groups,
                              ctx.needs_input_grad)
        m = xp(g)
        N, C, H, W = x.shape
        OC = u.shape[1]
        _, (th, tw) = winograd_tiles((H, W), padding)
        need_x, need_w, need_b = ctx.needs_input_grad
        slices = _group_slices(groups, C, OC)

        def products(dm, v, dv, du, points=slice(None)):
            """Per group, into du and dv where given: dU[ξ] = dM[ξ]ᵀ · V[ξ] and
            dV[ξ] = dM[ξ] · U[ξ] at the points `points`."""
            for cs, os in slices:
                if du is not None:
                    m.matmul(dm[points, :, os].swapaxes(1, 2), v[points, :, cs],
                             out=du[points, os])
                if dv is not None:
                    m.matmul(dm[points, :, os], u[points, os], out=dv[points, :, cs])

        def input_grad(dv, shape):
            return kernels.get("winograd_input_grad", g)(dv, shape, padding)

        bytes_per_image = 16 * max(C, OC) * th * tw * x.itemsize
        if _gemms_split_over_points(m, N, th * tw, MIN_GEMM_ROWS, bytes_per_image):
            dm = kernels.get("winograd_output_grad", g)(g)                  # (16, N*T, OC)
            v = kernels.get("winograd_input", x)(x, padding) if need_w else None
            dv = m.empty((16, dm.shape[1], C), dtype=g.dtype) if need_x else None
            du = m.empty(u.shape, dtype=u.dtype) if need_w else None
            parallel_for(lambda points: products(dm, v, dv, du, points), _point_parts(16))
            dx = input_grad(dv, x.shape) if need_x else None
        else:
            dx = m.empty_like(x) if need_x else None
            sums = ThreadSums(lambda: m.empty(u.shape, dtype=u.dtype))   # (16, OC, C/G)

            def grads(part):
                dm = kernels.get("winograd_output_grad", g)(g[part])    # (16, n*T, OC)
                if need_w:
                    v = kernels.get("winograd_input", x)(x[part], padding)   # (16, n*T, C)
                    sums.add(lambda out: products(dm, v, None, out))
                if need_x:
                    dv = m.empty((16, dm.shape[1], C), dtype=g.dtype)    # (16, n*T, C)
                    products(dm, None, dv, None)
                    dx[part] = input_grad(dv, x[part].shape)

            over_batch_chunks(m, grads, N, bytes_per_image, -(-MIN_GEMM_ROWS // (th * tw)))
            du = sums.total() if need_w else None
        dw = kernels.get("winograd_weight_grad", g)(du) if need_w else None
        db = g.sum(axis=(0, 2, 3)) if need_b else None
        return dx, dw, db
