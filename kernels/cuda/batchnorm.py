"""Wrappers for batchnorm.cu (training-mode BatchNorm, one block per channel)."""
import numpy as np

from .loader import function, ints, launch_blocks


def batch_norm_forward(x, weight, bias, eps):
    """x (N, C, L), weight and bias (C,) -> (y, mean, var), var biased; see the reference."""
    import cupy

    x = cupy.ascontiguousarray(x)
    C = x.shape[1]
    y = cupy.empty_like(x)
    mean = cupy.empty(C, dtype=x.dtype)
    var = cupy.empty(C, dtype=x.dtype)
    launch_blocks(function("batchnorm", "batch_norm_forward", x.dtype), C,
                  (x, cupy.ascontiguousarray(weight), cupy.ascontiguousarray(bias),
                   np.float64(eps), y, mean, var) + ints(*x.shape))
    return y, mean, var


def batch_norm_backward(g, x, mean, var, weight, eps):
    """-> (dx, dw, db) of batch_norm_forward; see the reference for the math."""
    import cupy

    g, x = cupy.ascontiguousarray(g), cupy.ascontiguousarray(x)
    C = x.shape[1]
    dx = cupy.empty_like(x)
    dw = cupy.empty(C, dtype=x.dtype)
    db = cupy.empty(C, dtype=x.dtype)
    launch_blocks(function("batchnorm", "batch_norm_backward", x.dtype), C,
                  (g, x, cupy.ascontiguousarray(mean), cupy.ascontiguousarray(var),
                   cupy.ascontiguousarray(weight), np.float64(eps), dx, dw, db)
                  + ints(*x.shape))
    return dx, dw, db
