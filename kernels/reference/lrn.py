"""Local response normalisation across channels, PyTorch's convention.

For channel c the window covers channels c − size//2 .. c + (size−1)//2 (zero beyond
the ends) and::

    scale[c] = k + alpha/size · Σ_window x²        y[c] = x[c] / scale[c]^beta

The input may be (N, C) or (N, C, *spatial); channels are axis 1.
"""
from ._xp import xp_of


def _window_sum(a, before, after):
    """Σ over channels c − before .. c + after of `a` (zero beyond the ends), for every c."""
    xp = xp_of(a)
    C = a.shape[1]
    padded = xp.pad(a, [(0, 0), (before, after)] + [(0, 0)] * (a.ndim - 2))  # (N, C+size-1, ...)
    return sum(padded[:, s:s + C] for s in range(before + after + 1))


def lrn(x, size, alpha, beta, k):
    """x (N, C, ...) -> (y, scale), both shaped like x."""
    scale = k + alpha / size * _window_sum(x * x, size // 2, (size - 1) // 2)
    return x * scale ** -beta, scale


def lrn_backward(x, y, scale, grad_out, size, alpha, beta, k):
    """dx = g·scale^(−β) − (2αβ/size)·x·Σ(g·y/scale), the sum over every channel c' whose
    window holds c, i.e. c − (size−1)//2 .. c + size//2 (the transposed window)."""
    t = grad_out * y / scale
    back = _window_sum(t, (size - 1) // 2, size // 2)
    return grad_out * scale ** -beta - (2 * alpha * beta / size) * x * back
