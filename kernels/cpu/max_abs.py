"""max |a| of a float array in one serial pass that vectorises.

A float's magnitude is its bit pattern with the sign bit cleared, and read as unsigned
integers these patterns order like the magnitudes, with every NaN above inf. An integer
max over them therefore gives max |a| and keeps a NaN; LLVM vectorises it, where a float
max that must respect NaN stays scalar.
"""
import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def _max_masked(bits, mask):
    """max over i of bits[i] & mask."""
    top = bits.dtype.type(0)
    for i in range(bits.size):
        b = bits[i] & mask
        top = b if b > top else top
    return top


def max_abs(a):
    """max |a| over every element of the float array `a`, as a Python float: inf where `a`
    holds an infinity, NaN where it holds a NaN, 0 for an empty array."""
    a = np.ascontiguousarray(a)
    unsigned = np.dtype(f"u{a.itemsize}")
    mask = unsigned.type(np.iinfo(unsigned).max >> 1)               # every bit but the sign
    top = _max_masked(a.reshape(-1).view(unsigned), mask)
    return float(np.asarray(top, dtype=unsigned).view(a.dtype))
