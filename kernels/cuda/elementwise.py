"""Wrappers for elementwise.cu."""
import numpy as np

from .loader import function, launch_1d


def erf(x):
    import cupy

    flat = cupy.ascontiguousarray(x).reshape(-1)
    out = cupy.empty_like(flat)
    launch_1d(function("elementwise", "erf", x.dtype), flat.size,
              (flat, out, np.int64(flat.size)))
    return out.reshape(x.shape)


def gelu(x):
    import cupy

    flat = cupy.ascontiguousarray(x).reshape(-1)
    out = cupy.empty_like(flat)
    launch_1d(function("elementwise", "gelu", x.dtype), flat.size,
              (flat, out, np.int64(flat.size)))
    return out.reshape(x.shape)


def gelu_backward(x, g):
    import cupy

    flat = cupy.ascontiguousarray(x).reshape(-1)
    grad = cupy.ascontiguousarray(g, dtype=flat.dtype).reshape(-1)
    out = cupy.empty_like(flat)
    launch_1d(function("elementwise", "gelu_backward", x.dtype), flat.size,
              (flat, grad, out, np.int64(flat.size)))
    return out.reshape(x.shape)
