"""Wrappers for batchnorm.cu (training-mode BatchNorm, each channel's sums split over a
column of blocks)."""
import numpy as np

from .arrays import contiguous, like_input
from .loader import THREADS, indexed_function, ints, launch_blocks

# A block of a channel's reduction takes at least this many elements, so that its threads
# add long runs before the partial sums are combined; and the blocks per channel stop
# growing once the grid holds about BLOCKS_WANTED blocks, enough to keep every
# multiprocessor of a large GPU busy.
MIN_BLOCK_ELEMENTS = 16 * THREADS
BLOCKS_WANTED = 1024


def blocks_per_channel(count, channels):
    """P, the blocks that share the reduction over one channel's `count` elements."""
    return max(1, min(count // MIN_BLOCK_ELEMENTS, -(-BLOCKS_WANTED // max(channels, 1))))


@like_input
def batch_norm_forward(x, weight, bias, eps):
    """x (N, C, L), weight and bias (C,) -> (y, mean, var), var biased; see the reference.
    Three launches over a (C, P) grid: partial sums, partial centred sums, normalisation."""
    import cupy

    sums_kernel = indexed_function("batchnorm", "batch_norm_sums", x.dtype, x.size)
    centred_kernel = indexed_function("batchnorm", "batch_norm_centred_sums", x.dtype, x.size)
    normalize_kernel = indexed_function("batchnorm", "batch_norm_normalize", x.dtype, x.size)
    x, weight, bias = contiguous(x.dtype, x, weight, bias)
    N, C, L = x.shape
    y = cupy.empty_like(x)
    mean = cupy.empty(C, dtype=x.dtype)
    var = cupy.empty(C, dtype=x.dtype)
    grid = (C, blocks_per_channel(N * L, C))
    sums = cupy.empty(grid, dtype=x.dtype)
    centred = cupy.empty(grid + (2,), dtype=x.dtype)
    launch_blocks(sums_kernel, grid, (x, sums) + ints(N, C, L))
    launch_blocks(centred_kernel, grid, (x, sums, centred) + ints(N, C, L))
    launch_blocks(normalize_kernel, grid, (x, sums, centred, weight, bias, np.float64(eps), y,
                                           mean, var) + ints(N, C, L))
    return y, mean, var


@like_input
def batch_norm_backward(g, x, mean, var, weight, eps):
    """-> (dx, dw, db) of batch_norm_forward; see the reference for the math. Two launches
    over a (C, P) grid: partial sums of g and g·(x − mean), then dx."""
    import cupy

    sums_kernel = indexed_function("batchnorm", "batch_norm_backward_sums", g.dtype, g.size)
    dx_kernel = indexed_function("batchnorm", "batch_norm_backward_dx", g.dtype, g.size)
    g, x, mean, var, weight = contiguous(g.dtype, g, x, mean, var, weight)
    N, C, L = g.shape
    dx = cupy.empty_like(g)
    dw = cupy.empty(C, dtype=g.dtype)
    db = cupy.empty(C, dtype=g.dtype)
    grid = (C, blocks_per_channel(N * L, C))
    sums = cupy.empty(grid + (2,), dtype=g.dtype)
    launch_blocks(sums_kernel, grid, (g, x, mean, sums) + ints(N, C, L))
    launch_blocks(dx_kernel, grid, (g, x, mean, var, weight, sums, np.float64(eps), dx, dw, db)
                  + ints(N, C, L))
    return dx, dw, db
