"""ReLU and its gradient as one vectorised pass each, split into contiguous runs over the
Numba threads.

NumPy's maximum(x, 0) checks every element for NaN and does not vectorise, and
g * (out > 0) makes two passes; each loop here makes one. Each thread takes whole runs of
consecutive elements, and each run is a plain loop over 1-D slices, which LLVM vectorises
(a loop over a prange index does not); an array of fewer than two runs goes through the
loop on the calling thread, without starting the threads. The in-place ReLU has its own
loop over one array: the two-array loop given the same array twice cannot prove at compile
time that the arrays do not overlap, and its run-time overlap check sends it to the
unvectorised loop.
"""
import numpy as np
from numba import njit, prange

from ._runs import element_runs

MIN_RUN = 1 << 14          # elements per run at least: below it a run costs more to start


@njit(nogil=True, inline="always")
def _relu_run(x, out):
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = 0 if v < 0 else v                 # NaN < 0 is false: NaN passes through


@njit(nogil=True, inline="always")
def _relu_inplace_run(x):
    for i in range(x.shape[0]):
        v = x[i]
        x[i] = 0 if v < 0 else v


@njit(nogil=True, inline="always")
def _relu_backward_run(g, y, out):
    for i in range(g.shape[0]):
        out[i] = 0 if y[i] <= 0 else g[i]          # a NaN output lets g through


@njit(nogil=True, cache=True)
def _relu_serial(x, out):
    _relu_run(x, out)


@njit(nogil=True, cache=True)
def _relu_inplace_serial(x):
    _relu_inplace_run(x)


@njit(nogil=True, cache=True)
def _relu_backward_serial(g, y, out):
    _relu_backward_run(g, y, out)


@njit(parallel=True, nogil=True, cache=True)
def _relu(x, out, runs):
    n = x.shape[0]
    for r in prange(runs):
        lo, hi = r * n // runs, (r + 1) * n // runs
        _relu_run(x[lo:hi], out[lo:hi])


@njit(parallel=True, nogil=True, cache=True)
def _relu_inplace(x, runs):
    n = x.shape[0]
    for r in prange(runs):
        lo, hi = r * n // runs, (r + 1) * n // runs
        _relu_inplace_run(x[lo:hi])


@njit(parallel=True, nogil=True, cache=True)
def _relu_backward(g, y, out, runs):
    n = g.shape[0]
    for r in prange(runs):
        lo, hi = r * n // runs, (r + 1) * n // runs
        _relu_backward_run(g[lo:hi], y[lo:hi], out[lo:hi])


def _flat(a, dtype):
    return np.ascontiguousarray(a, dtype=dtype).reshape(-1)


def _into(x, out):
    """out = relu(x) for x flat and out flat (x itself for an in-place ReLU)."""
    runs = element_runs(x.size, MIN_RUN)
    if out is x and runs == 1:
        _relu_inplace_serial(x)
    elif out is x:
        _relu_inplace(x, runs)
    elif runs == 1:
        _relu_serial(x, out)
    else:
        _relu(x, out, runs)


def relu(x, out=None):
    """max(x, 0) element by element; NaN stays NaN. With `out` (x's shape and dtype, x
    itself for an in-place ReLU) the result is written there."""
    flat = _flat(x, x.dtype)
    if out is None:
        result = np.empty_like(flat)
        _into(flat, result)
        return result.reshape(x.shape)
    if out is x and x.flags.c_contiguous:
        _into(flat, flat)                          # flat is a view of x
    elif out.flags.c_contiguous:
        _into(flat, out.reshape(-1))               # a view: the loop writes into out
    else:
        out[...] = relu(x)
    return out


def relu_backward(g, out):
    """0 where out <= 0, else g (NaN outputs pass g, as in PyTorch)."""
    flat, y = _flat(g, g.dtype), _flat(out, g.dtype)
    result = np.empty_like(flat)
    runs = element_runs(flat.size, MIN_RUN)
    if runs == 1:
        _relu_backward_serial(flat, y, result)
    else:
        _relu_backward(flat, y, result, runs)
    return result.reshape(g.shape)
