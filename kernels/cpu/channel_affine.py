"""A per-channel affine map as one pass over the (n, c) planes: NumPy's x·scale + shift
takes two passes and a temporary as large as x. Large inputs split the planes into runs
of consecutive planes over the threads (one prange iteration a run, not a plane: on small
maps, 7² or 4², an iteration per plane cost more than its few dozen elements); below
PARALLEL_MIN_ELEMENTS the pass runs on the calling thread, where starting the threads would
cost more than the pass (BatchNorm in eval on small maps of small batches)."""
import numpy as np
from numba import njit, prange

from ._runs import parallel_runs
from ._windows import as_c

PARALLEL_MIN_ELEMENTS = 1 << 17
RUNS_PER_THREAD = 4


@njit(nogil=True, inline="always")
def _planes(x, scale, shift, y, first, last):
    """Planes first .. last − 1 of x (N, C, L), (n, c) in order, mapped into y:
    y[n, c] = x[n, c]·scale[c] + shift[c]."""
    C, L = x.shape[1], x.shape[2]
    for nc in range(first, last):
        n = nc // C
        c = nc - n * C
        a, b = scale[c], shift[c]
        for p in range(L):
            y[n, c, p] = x[n, c, p] * a + b


@njit(parallel=True, cache=True)
def _channel_affine(x, scale, shift, y, runs):
    planes = x.shape[0] * x.shape[1]
    for r in prange(runs):
        _planes(x, scale, shift, y, r * planes // runs, (r + 1) * planes // runs)


@njit(nogil=True, cache=True)
def _channel_affine_serial(x, scale, shift, y):
    _planes(x, scale, shift, y, 0, x.shape[0] * x.shape[1])


def channel_affine(x, scale, shift):
    """x (N, C, L), scale and shift (C,) -> y = x·scale[c] + shift[c]; see the reference."""
    x = as_c(x)
    y = np.empty_like(x)
    scale = as_c(scale.astype(x.dtype, copy=False))
    shift = as_c(shift.astype(x.dtype, copy=False))
    if x.size >= PARALLEL_MIN_ELEMENTS:
        runs = parallel_runs(x.shape[0] * x.shape[1], RUNS_PER_THREAD)
        _channel_affine(x, scale, shift, y, runs)
    else:
        _channel_affine_serial(x, scale, shift, y)
    return y
