"""Wrappers for batchnorm.cu (training-mode BatchNorm, one block per channel)."""
import numpy as np

from .arrays import contiguous, like_input
from .loader import function, ints, launch_blocks


@like_input
def batch_norm_forward(x, weight, bias, eps):
    """x (N, C, L), weight and bias (C,) -> (y, mean, var), var biased; see the reference."""
    import cupy

    kernel = function("batchnorm", "batch_norm_forward", x.dtype)
    x, weight, bias = contiguous(x.dtype, x, weight, bias)
    C = x.shape[1]
    y = cupy.empty_like(x)
    mean = cupy.empty(C, dtype=x.dtype)
    var = cupy.empty(C, dtype=x.dtype)
    launch_blocks(kernel, C, (x, weight, bias, np.float64(eps), y, mean, var) + ints(*x.shape))
    return y, mean, var


@like_input
def batch_norm_backward(g, x, mean, var, weight, eps):
    """-> (dx, dw, db) of batch_norm_forward; see the reference for the math."""
    import cupy

    kernel = function("batchnorm", "batch_norm_backward", g.dtype)
    g, x, mean, var, weight = contiguous(g.dtype, g, x, mean, var, weight)
    C = g.shape[1]
    dx = cupy.empty_like(g)
    dw = cupy.empty(C, dtype=g.dtype)
    db = cupy.empty(C, dtype=g.dtype)
    launch_blocks(kernel, C, (g, x, mean, var, weight, np.float64(eps), dx, dw, db)
                  + ints(*x.shape))
    return dx, dw, db
