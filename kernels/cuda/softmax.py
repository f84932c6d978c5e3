"""Wrappers for softmax.cu (softmax and log-softmax along rows, one block per row)."""
from .arrays import contiguous, like_input
from .loader import function, ints, launch_blocks


def _per_row(kernel, x):
    """y (R, K) from x (R, K) by `kernel`, one block per row."""
    import cupy

    (x,) = contiguous(x.dtype, x)
    y = cupy.empty_like(x)
    launch_blocks(kernel, x.shape[0], (x, y) + ints(x.shape[1]))
    return y


@like_input
def softmax_rows(x):
    """x (R, K) -> y (R, K), each row exp(x − max) / Σ exp(x − max)."""
    return _per_row(function("softmax", "softmax_rows", x.dtype), x)


@like_input
def log_softmax_rows(x):
    """x (R, K) -> y (R, K), each row (x − max) − log Σ exp(x − max)."""
    return _per_row(function("softmax", "log_softmax_rows", x.dtype), x)


@like_input(writes=("x",))
def masked_softmax_rows(x):
    """Each row of x (R, K), C-contiguous, replaced by its softmax in place; a row of −∞
    only becomes 0. Returns x."""
    if not x.flags.c_contiguous:
        raise ValueError("masked_softmax_rows: x must be C-contiguous (it is overwritten), "
                         f"got strides {x.strides} for shape {x.shape}")
    launch_blocks(function("softmax", "masked_softmax_rows", x.dtype), x.shape[0],
                  (x,) + ints(x.shape[1]))
    return x


@like_input
def softmax_backward_rows(s, g):
    """dL/dx (R, K) of s = softmax(x) along rows, from g = dL/ds: s·(g − Σ g·s)."""
    import cupy

    kernel = function("softmax", "softmax_backward_rows", s.dtype)
    s, g = contiguous(s.dtype, s, g)
    out = cupy.empty_like(s)
    launch_blocks(kernel, s.shape[0], (s, g, out) + ints(s.shape[1]))
    return out
