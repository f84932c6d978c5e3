"""Wrappers for elementwise.cu."""
import numpy as np

from .loader import function, launch_1d


def _elementwise(kernel, x, *others):
    """out = kernel(x, *others) elementwise, one thread per element: every operand made
    contiguous (others in x's dtype), flattened, and the result shaped like x."""
    import cupy

    flat = cupy.ascontiguousarray(x).reshape(-1)
    extra = [cupy.ascontiguousarray(a, dtype=flat.dtype).reshape(-1) for a in others]
    out = cupy.empty_like(flat)
    launch_1d(kernel, flat.size, (flat, *extra, out, np.int64(flat.size)))
    return out.reshape(x.shape)


def erf(x):
    return _elementwise(function("elementwise", "erf", x.dtype), x)


def gelu(x):
    return _elementwise(function("elementwise", "gelu", x.dtype), x)


def gelu_backward(x, g):
    return _elementwise(function("elementwise", "gelu_backward", x.dtype), x, g)


def relu(x):
    return _elementwise(function("elementwise", "relu", x.dtype), x)


def relu_backward(g, out):
    return _elementwise(function("elementwise", "relu_backward", g.dtype), g, out)
