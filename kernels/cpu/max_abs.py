"""max |a| of a float array in one vectorised pass, split into contiguous runs over the
Numba threads.

A float's magnitude is its bit pattern with the sign bit cleared, and read as unsigned
integers these patterns order like the magnitudes, with every NaN above inf. An integer
max over them therefore gives max |a| and keeps a NaN; LLVM vectorises it, where a float
max that must respect NaN stays scalar. Each thread takes whole runs of consecutive
elements, each a plain loop over a 1-D slice (which LLVM vectorises, where a loop over a
prange index does not), and the runs' maxima are then compared; an array of fewer than two
runs goes through the loop on the calling thread, without starting the threads.
"""
import numpy as np
from numba import njit, prange

from ._runs import element_runs

MIN_RUN = 1 << 16          # elements per run at least: below it a run costs more to start


@njit(nogil=True, inline="always")
def _max_masked_run(bits, mask):
    """max over i of bits[i] & mask."""
    top = bits.dtype.type(0)
    for i in range(bits.shape[0]):
        b = bits[i] & mask
        top = b if b > top else top
    return top


@njit(nogil=True, cache=True)
def _max_masked_serial(bits, mask):
    return _max_masked_run(bits, mask)


@njit(parallel=True, nogil=True, cache=True)
def _max_masked(bits, mask, runs):
    n = bits.shape[0]
    tops = np.empty(runs, bits.dtype)                                  # (runs,)
    for r in prange(runs):
        tops[r] = _max_masked_run(bits[r * n // runs:(r + 1) * n // runs], mask)
    return tops.max()


def max_abs(a):
    """max |a| over every element of the float array `a`, as a Python float: inf where `a`
    holds an infinity, NaN where it holds a NaN, 0 for an empty array."""
    a = np.ascontiguousarray(a)
    unsigned = np.dtype(f"u{a.itemsize}")
    mask = unsigned.type(np.iinfo(unsigned).max >> 1)               # every bit but the sign
    bits = a.reshape(-1).view(unsigned)
    runs = element_runs(bits.size, MIN_RUN)
    top = _max_masked_serial(bits, mask) if runs == 1 else _max_masked(bits, mask, runs)
    return float(np.asarray(top, dtype=unsigned).view(a.dtype))
