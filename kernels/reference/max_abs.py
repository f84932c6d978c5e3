"""The largest magnitude in an array: the bound conv2d checks before it lets Winograd's
transforms mix an input's values (minicnn/functional/conv_winograd.py)."""
from ._xp import xp_of


def max_abs(a):
    """max |a| over every element, as a Python float: inf where `a` holds an infinity, NaN
    where it holds a NaN, 0 for an empty array."""
    if a.size == 0:
        return 0.0
    return float(xp_of(a).abs(a).max())
