"""Wrappers for softmax.cu (softmax and log-softmax along rows, a warp or more per row)."""
from .arrays import contiguous, like_input
from .loader import THREADS, indexed_function, ints, launch_blocks

WARP = 32


def row_lanes(K):
    """Threads per row of K values: one warp while that leaves each thread at most WARP
    values (K <= 1024), then twice as many per doubling of K, up to the whole block."""
    lanes = WARP
    while lanes < THREADS and lanes * WARP < K:
        lanes *= 2
    return lanes


def _launch_rows(kernel, *arrays):
    """Run `kernel` on its array arguments `arrays`, the first of them (R, K), with
    row_lanes(K) threads a row and THREADS / lanes rows a block."""
    R, K = arrays[0].shape
    lanes = row_lanes(K)
    rows_per_block = THREADS // lanes
    launch_blocks(kernel, -(-R // rows_per_block), arrays + ints(R, K, lanes))


def _per_row(kernel, x):
    """y (R, K) from x (R, K) by `kernel`."""
    import cupy

    (x,) = contiguous(x.dtype, x)
    y = cupy.empty_like(x)
    _launch_rows(kernel, x, y)
    return y


@like_input
def softmax_rows(x):
    """x (R, K) -> y (R, K), each row exp(x − max) / Σ exp(x − max)."""
    return _per_row(indexed_function("softmax", "softmax_rows", x.dtype, x.size), x)


@like_input
def log_softmax_rows(x):
    """x (R, K) -> y (R, K), each row (x − max) − log Σ exp(x − max)."""
    return _per_row(indexed_function("softmax", "log_softmax_rows", x.dtype, x.size), x)


@like_input(writes=("x",))
def masked_softmax_rows(x):
    """Each row of x (R, K), C-contiguous, replaced by its softmax in place; a row of −∞
    only becomes 0. Returns x."""
    if not x.flags.c_contiguous:
        raise ValueError("masked_softmax_rows: x must be C-contiguous (it is overwritten), "
                         f"got strides {x.strides} for shape {x.shape}")
    _launch_rows(indexed_function("softmax", "masked_softmax_rows", x.dtype, x.size), x)
    return x


@like_input
def softmax_backward_rows(s, g):
    """dL/dx (R, K) of s = softmax(x) along rows, from g = dL/ds: s·(g − Σ g·s)."""
    import cupy

    kernel = indexed_function("softmax", "softmax_backward_rows", s.dtype, s.size)
    s, g = contiguous(s.dtype, s, g)
    out = cupy.empty_like(s)
    _launch_rows(kernel, s, g, out)
    return out
