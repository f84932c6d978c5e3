"""Small helpers shared by the Numba kernels."""
import numpy as np
from numba import njit


def as_c(array):
    """`array` as a C-contiguous, writeable NumPy array, so that every call reaches the
    same compiled specialisation (Numba compiles one per layout and read-only flag)."""
    array = np.ascontiguousarray(array)
    if not array.flags.writeable:
        array = array.copy()
    return array


@njit(cache=True)
def tap_range(offset, stride, size, out):
    """The outputs o in [lo, hi) whose tap o*stride + offset lies inside 0 .. size-1."""
    lo = 0
    if offset < 0:
        lo = (-offset + stride - 1) // stride
    hi = (size - 1 - offset) // stride + 1
    lo = min(lo, out)
    hi = min(max(hi, lo), out)
    return lo, hi


@njit(cache=True)
def first_inside(start, dilation):
    """The first of start, start + dilation, ... that is >= 0."""
    if start < 0:
        start += (-start + dilation - 1) // dilation * dilation
    return start
