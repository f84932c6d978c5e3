"""Elementwise special functions NumPy lacks, and the exact GELU built on erf."""
import math

import numpy as np


def erf(x):
    """The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, element by element."""
    return np.frompyfunc(math.erf, 1, 1)(x).astype(x.dtype)



def _erfc(x):
    """erfc(x) = 1 − erf(x), element by element (keeps its precision where erf(x) → −1)."""
    return np.frompyfunc(math.erfc, 1, 1)(x).astype(x.dtype)


def gelu(x):
    """GELU(x) = x·Φ(x), Φ(x) = erfc(−x/√2) / 2 the standard normal CDF."""
    return (0.5 * x * _erfc(-x * (1 / math.sqrt(2)))).astype(x.dtype)


def gelu_backward(x, g):
    """dL/dx = g·(Φ(x) + x·φ(x)), φ(x) = e^(−x²/2) / √(2π) the standard normal density."""
    cdf = 0.5 * _erfc(-x * (1 / math.sqrt(2)))
    pdf = np.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
    return (g * (cdf + x * pdf)).astype(x.dtype)
