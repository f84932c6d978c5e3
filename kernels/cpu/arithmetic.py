"""The sum, difference and product of two float arrays of one shape and dtype as one pass
split into contiguous runs over the Numba threads; every other call (broadcasting, mixed
dtypes, integers, strided views, short arrays) is NumPy's ufunc.

NumPy's ufuncs run on the calling thread; a residual connection's sum or a gradient sum of
a few million floats is bound by one core's memory bandwidth there. Each thread here takes
whole runs of consecutive elements, each a plain loop over 1-D slices that LLVM vectorises
(as relu.py's). The operation is a loop-invariant argument, which LLVM hoists out of the
loop. An in-place call (out is a) has its own loop over the two arrays: the three-array
loop given a twice fails LLVM's run-time overlap check and runs unvectorised. Every
element is one IEEE operation in the arrays' dtype, so the results equal NumPy's bit for
bit, whatever the thread count.
"""
import numpy as np
from numba import njit, prange

from ._runs import element_runs

MIN_RUN = 1 << 15          # elements per run at least: below two runs NumPy's loop is as fast
ADD, SUBTRACT, MULTIPLY = 0, 1, 2
_UFUNCS = {ADD: np.add, SUBTRACT: np.subtract, MULTIPLY: np.multiply}


@njit(inline="always")
def _apply(op, x, y):
    if op == ADD:
        return x + y
    if op == SUBTRACT:
        return x - y
    return x * y


@njit(inline="always")
def _run(op, a, b, out):
    for i in range(a.shape[0]):
        out[i] = _apply(op, a[i], b[i])


@njit(inline="always")
def _run_in_place(op, a, b):
    for i in range(a.shape[0]):
        a[i] = _apply(op, a[i], b[i])


@njit(parallel=True, nogil=True, cache=True)
def _binary(op, a, b, out, runs):
    n = a.shape[0]
    for r in prange(runs):
        lo, hi = r * n // runs, (r + 1) * n // runs
        _run(op, a[lo:hi], b[lo:hi], out[lo:hi])


@njit(parallel=True, nogil=True, cache=True)
def _binary_in_place(op, a, b, runs):
    n = a.shape[0]
    for r in prange(runs):
        lo, hi = r * n // runs, (r + 1) * n // runs
        _run_in_place(op, a[lo:hi], b[lo:hi])


def _splits(a, b, out):
    """Whether the call takes the threaded loop: two C-contiguous float32/float64 NumPy
    arrays of one shape and dtype, at least two runs long, and no `out` but a itself
    (writeable)."""
    return (type(a) is np.ndarray and type(b) is np.ndarray and a.dtype == b.dtype
            and a.dtype in (np.float32, np.float64) and a.shape == b.shape
            and a.size >= 2 * MIN_RUN and a.flags.c_contiguous and b.flags.c_contiguous
            and (out is None or (out is a and a.flags.writeable)))


def _binary_op(op, a, b, out):
    if not _splits(a, b, out):
        return _UFUNCS[op](a, b, out=out)
    runs = element_runs(a.size, MIN_RUN)
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)
    if out is a:
        _binary_in_place(op, flat_a, flat_b, runs)
        return a
    result = np.empty_like(a)
    _binary(op, flat_a, flat_b, result.reshape(-1), runs)
    return result


def add(a, b, out=None):
    """a + b (NumPy's broadcasting and type promotion); with `out`, written there."""
    return _binary_op(ADD, a, b, out)


def subtract(a, b, out=None):
    """a − b (NumPy's broadcasting and type promotion); with `out`, written there."""
    return _binary_op(SUBTRACT, a, b, out)


def multiply(a, b, out=None):
    """a · b (NumPy's broadcasting and type promotion); with `out`, written there."""
    return _binary_op(MULTIPLY, a, b, out)
