"""ReLU and its gradient."""
from ._xp import xp_of


def relu(x, out=None):
    """max(x, 0) element by element; NaN stays NaN, as in PyTorch. With `out` (an array of
    x's shape and dtype, x itself for an in-place ReLU) the result is written there."""
    xp = xp_of(x)
    result = xp.where(x < 0, x.dtype.type(0), x)
    if out is None:
        return result
    out[...] = result
    return out


def relu_backward(g, out):
    """dL/dx = 0 where out = relu(x) is at most 0, else g (a NaN output lets g through, as
    PyTorch's threshold_backward does)."""
    return xp_of(g).where(out <= 0, g.dtype.type(0), g)
