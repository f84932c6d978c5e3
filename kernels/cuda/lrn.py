"""Wrappers for lrn.cu (local response normalisation across channels)."""
from .loader import function, ints, launch_1d


def _rows(a, dtype):
    import cupy

    a = cupy.ascontiguousarray(a.astype(dtype, copy=False))
    return a.reshape(a.shape[0], a.shape[1], -1)


def lrn(x, size, alpha, beta, k):
    """x (N, C, ...) -> (y, scale), both shaped like x; scale = k + alpha/size · Σ_window x²."""
    import cupy

    t = x.dtype.type
    x3 = _rows(x, x.dtype)
    y = cupy.empty_like(x3)
    scale = cupy.empty_like(x3)
    launch_1d(function("lrn", "lrn_forward", x.dtype), x3.size,
              (x3, y, scale) + ints(*x3.shape, size) + (t(alpha / size), t(-beta), t(k)))
    return y.reshape(x.shape), scale.reshape(x.shape)


def lrn_backward(x, y, scale, grad_out, size, alpha, beta, k):
    """dx = g·scale^(−β) − (2αβ/size)·x·Σ_transposed window(g·y/scale)."""
    import cupy

    t = x.dtype.type
    x3, y3, s3, g3 = (_rows(a, x.dtype) for a in (x, y, scale, grad_out))
    dx = cupy.empty_like(x3)
    launch_1d(function("lrn", "lrn_backward", x.dtype), x3.size,
              (x3, y3, s3, g3, dx) + ints(*x3.shape, size)
              + (t(2 * alpha * beta / size), t(-beta)))
    return dx.reshape(x.shape)
