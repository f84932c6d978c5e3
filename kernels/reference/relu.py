"""ReLU and its gradient."""
import numpy as np


def relu(x, out=None):
    """max(x, 0) element by element; NaN stays NaN, as in PyTorch. With `out` (an array of
    x's shape and dtype, x itself for an in-place ReLU) the result is written there."""
    result = np.where(x < 0, np.zeros((), x.dtype), x)
    if out is None:
        return result
    out[...] = result
    return out


def relu_backward(g, out):
    """dL/dx = 0 where out = relu(x) is at most 0, else g (a NaN output lets g through, as
    PyTorch's threshold_backward does)."""
    return np.where(out <= 0, np.zeros((), g.dtype), g)
