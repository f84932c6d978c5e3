"""Per-channel batch statistics for BatchNorm."""
from ._xp import xp_of


def batch_norm_stats(x):
    """x (N, C, H, W) or (N, C) -> (mean, var), each (C,): over every axis but 1, var the
    biased one. Two passes in float64 (E[x²] − E[x]² would cancel catastrophically)."""
    xp = xp_of(x)
    axes = (0,) + tuple(range(2, x.ndim))                             # all axes but channels
    mean = x.mean(axis=axes, dtype=xp.float64)                        # (C,)
    centred = x - mean.reshape((1, -1) + (1,) * (x.ndim - 2))         # float64, like x
    var = (centred * centred).mean(axis=axes)
    return mean.astype(x.dtype), var.astype(x.dtype)
