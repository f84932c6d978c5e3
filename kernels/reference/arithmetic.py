"""The sum, difference and product of two arrays, element by element, with NumPy's (or
CuPy's) broadcasting and type promotion: the arithmetic ops' forward passes and the
backward pass's sums of gradients. With `out` the result is written there (the first
operand itself, for an in-place op)."""
from ._xp import xp_of


def add(a, b, out=None):
    """a + b."""
    return xp_of(a).add(a, b, out=out)


def subtract(a, b, out=None):
    """a − b."""
    return xp_of(a).subtract(a, b, out=out)


def multiply(a, b, out=None):
    """a · b."""
    return xp_of(a).multiply(a, b, out=out)
