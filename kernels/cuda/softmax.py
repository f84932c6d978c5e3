"""Wrappers for softmax.cu (softmax and log-softmax along rows, one block per row)."""
from .loader import function, ints, launch_blocks


def _per_row(kernel, x):
    """y (R, K) from x (R, K) by `kernel`, one block per row."""
    import cupy

    x = cupy.ascontiguousarray(x)
    y = cupy.empty_like(x)
    launch_blocks(kernel, x.shape[0], (x, y) + ints(x.shape[1]))
    return y


def softmax_rows(x):
    """x (R, K) -> y (R, K), each row exp(x − max) / Σ exp(x − max)."""
    return _per_row(function("softmax", "softmax_rows", x.dtype), x)


def log_softmax_rows(x):
    """x (R, K) -> y (R, K), each row (x − max) − log Σ exp(x − max)."""
    return _per_row(function("softmax", "log_softmax_rows", x.dtype), x)
