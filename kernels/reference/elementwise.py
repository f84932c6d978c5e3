"""Elementwise special functions NumPy lacks, and the exact GELU built on erf.

On NumPy arrays erf and erfc come from Python's math module, element by element; on CuPy
arrays from cupyx.scipy.special, CuPy's own GPU kernels."""
import importlib
import math

import numpy as np

from ._xp import xp_of


def _special(name, array):
    """The elementwise function `name` ("erf" or "erfc") of `array`, in its dtype."""
    if xp_of(array) is np:
        return np.frompyfunc(getattr(math, name), 1, 1)(array).astype(array.dtype)
    special = importlib.import_module("cupyx.scipy.special")   # loaded with CuPy, on use
    return getattr(special, name)(array).astype(array.dtype, copy=False)


def erf(x):
    """The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, element by element."""
    return _special("erf", x)


def _erfc(x):
    """erfc(x) = 1 − erf(x), element by element (keeps its precision where erf(x) → −1)."""
    return _special("erfc", x)


def gelu(x):
    """GELU(x) = x·Φ(x), Φ(x) = erfc(−x/√2) / 2 the standard normal CDF."""
    return (0.5 * x * _erfc(-x * (1 / math.sqrt(2)))).astype(x.dtype)


def gelu_backward(x, g):
    """dL/dx = g·(Φ(x) + x·φ(x)), φ(x) = e^(−x²/2) / √(2π) the standard normal density."""
    cdf = 0.5 * _erfc(-x * (1 / math.sqrt(2)))
    pdf = xp_of(x).exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
    return (g * (cdf + x * pdf)).astype(x.dtype)
