"""Wrappers for elementwise.cu."""
import numpy as np

from .arrays import contiguous, like_input
from .loader import function, launch_1d


def _elementwise(kernel, x, *others, out=None):
    """kernel(x, *others) elementwise, one thread per element: every operand made
    contiguous in x's dtype, flattened, and the result shaped like x, or written into `out`
    (x's shape) when given."""
    import cupy

    flat, *extra = (a.reshape(-1) for a in contiguous(x.dtype, x, *others))
    direct = out is not None and out.flags.c_contiguous and out.dtype == flat.dtype
    result = out.reshape(-1) if direct else cupy.empty_like(flat)
    launch_1d(kernel, flat.size, (flat, *extra, result, np.int64(flat.size)))
    if out is None:
        return result.reshape(x.shape)
    if not direct:
        out[...] = result.reshape(x.shape)
    return out


@like_input
def erf(x):
    return _elementwise(function("elementwise", "erf", x.dtype), x)


@like_input
def gelu(x):
    return _elementwise(function("elementwise", "gelu", x.dtype), x)


@like_input
def gelu_backward(x, g):
    return _elementwise(function("elementwise", "gelu_backward", x.dtype), x, g)


@like_input(writes=("out",))
def relu(x, out=None):
    return _elementwise(function("elementwise", "relu", x.dtype), x, out=out)


@like_input
def relu_backward(g, out):
    return _elementwise(function("elementwise", "relu_backward", g.dtype), g, out)
