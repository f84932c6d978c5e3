"""Wrappers for lrn.cu (local response normalisation across channels)."""
from .arrays import contiguous, like_input
from .loader import indexed_function, ints, launch_1d


def _rows(dtype, *arrays):
    """Each array contiguous in `dtype` and viewed as (N, C, L)."""
    return tuple(a.reshape(a.shape[0], a.shape[1], -1) for a in contiguous(dtype, *arrays))


@like_input
def lrn(x, size, alpha, beta, k):
    """x (N, C, ...) -> (y, scale), both shaped like x; scale = k + alpha/size · Σ_window x²."""
    import cupy

    t = x.dtype.type
    kernel = indexed_function("lrn", "lrn_forward", x.dtype, x.size, size)
    (x3,) = _rows(x.dtype, x)
    y = cupy.empty_like(x3)
    scale = cupy.empty_like(x3)
    launch_1d(kernel, x3.size,
              (x3, y, scale) + ints(*x3.shape, size) + (t(alpha / size), t(-beta), t(k)))
    return y.reshape(x.shape), scale.reshape(x.shape)


@like_input
def lrn_backward(x, y, scale, grad_out, size, alpha, beta, k):
    """dx = g·scale^(−β) − (2αβ/size)·x·Σ_transposed window(g·y/scale)."""
    import cupy

    t = x.dtype.type
    kernel = indexed_function("lrn", "lrn_backward", x.dtype, x.size, size)
    x3, y3, s3, g3 = _rows(x.dtype, x, y, scale, grad_out)
    dx = cupy.empty_like(x3)
    launch_1d(kernel, x3.size,
              (x3, y3, s3, g3, dx) + ints(*x3.shape, size)
              + (t(2 * alpha * beta / size), t(-beta)))
    return dx.reshape(x.shape)
