"""ReLU and its gradient as one vectorised pass each, on the calling thread.

NumPy's maximum(x, 0) checks every element for NaN and does not vectorise, and
g * (out > 0) makes two passes; each loop here makes one. Both are bound by memory
bandwidth, which a second thread does not raise, and on small maps a parallel launch costs
more than the pass, so the loops are serial.
"""
import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def _relu(x, out):
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = 0 if v < 0 else v                 # NaN < 0 is false: NaN passes through


@njit(nogil=True, cache=True)
def _relu_backward(g, y, out):
    for i in range(g.shape[0]):
        out[i] = 0 if y[i] <= 0 else g[i]          # a NaN output lets g through


def _flat(a, dtype):
    return np.ascontiguousarray(a, dtype=dtype).reshape(-1)


def relu(x, out=None):
    """max(x, 0) element by element; NaN stays NaN. With `out` (x's shape and dtype, x
    itself for an in-place ReLU) the result is written there."""
    flat = _flat(x, x.dtype)
    if out is None:
        result = np.empty_like(flat)
        _relu(flat, result)
        return result.reshape(x.shape)
    if out.flags.c_contiguous:
        _relu(flat, out.reshape(-1))           # a view: the loop writes into out
    else:
        out[...] = relu(x)
    return out


def relu_backward(g, out):
    """0 where out <= 0, else g (NaN outputs pass g, as in PyTorch)."""
    flat = _flat(g, g.dtype)
    result = np.empty_like(flat)
    _relu_backward(flat, _flat(out, g.dtype), result)
    return result.reshape(g.shape)
