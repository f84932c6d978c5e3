"""Wrappers for softmax.cu (softmax and log-softmax along rows, one block per row)."""
from .loader import function, ints, launch_blocks


def softmax_rows(x):
    """x (R, K) -> y (R, K), each row exp(x − max) / Σ exp(x − max)."""
    import cupy

    x = cupy.ascontiguousarray(x)
    y = cupy.empty_like(x)
    launch_blocks(function("softmax", "softmax_rows", x.dtype), x.shape[0],
                  (x, y) + ints(x.shape[1]))
    return y


def log_softmax_rows(x):
    """x (R, K) -> y (R, K), each row (x − max) − log Σ exp(x − max)."""
    import cupy

    x = cupy.ascontiguousarray(x)
    y = cupy.empty_like(x)
    launch_blocks(function("softmax", "log_softmax_rows", x.dtype), x.shape[0],
                  (x, y) + ints(x.shape[1]))
    return y
