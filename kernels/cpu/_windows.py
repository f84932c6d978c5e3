"""Small helpers shared by the Numba kernels."""
from functools import lru_cache

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


@njit(inline="always", fastmath={"reassoc"})
def dot3(y, x0, x1, x2, zero):
    """(y · x0, y · x1, y · x2) over equally long rows, one pass over y, summed in the type
    of `zero` (0.0 for float64 sums, y.dtype.type(0) for sums in y's dtype). reassoc lets
    LLVM vectorise the sums (only their order moves)."""
    s0 = s1 = s2 = zero
    for t in range(y.shape[0]):
        s0 += y[t] * x0[t]
        s1 += y[t] * x1[t]
        s2 += y[t] * x2[t]
    return s0, s1, s2


@lru_cache(maxsize=64)
def window_offsets(H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """Read-only int32 (kh*kw, oh*ow): the flat offset iy*W + ix in an (H, W) plane that
    kernel tap (i, j) reads at output p, or H*W where the tap falls on padding."""
    iy = (np.arange(oh) * sh - ph)[None, None, :, None] + (np.arange(kh) * dh)[:, None, None, None]
    ix = (np.arange(ow) * sw - pw)[None, None, None, :] + (np.arange(kw) * dw)[None, :, None, None]
    inside = (iy >= 0) & (iy < H) & (ix >= 0) & (ix < W)                 # (kh, kw, oh, ow)
    offsets = np.where(inside, iy * W + ix, H * W).reshape(kh * kw, oh * ow).astype(np.int32)
    offsets.flags.writeable = False
    return offsets


@njit(cache=True)
def slot_share(slot, slots, items):
    """The items [lo, hi) of slot `slot` of `slots`: consecutive, and as many in each slot
    as in any other within one, so that a parallel loop over the slots, cut into equal runs
    of slots per thread, gives every thread as many items within a slot's share."""
    return slot * items // slots, (slot + 1) * items // slots
