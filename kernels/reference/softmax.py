"""Softmax and log-softmax along the rows of a 2-D array."""
from ._xp import xp_of


def softmax_rows(x):
    """x (R, K) -> y (R, K), each row exp(x − max) / Σ exp(x − max)."""
    xp = xp_of(x)
    e = xp.exp(x - x.max(axis=1, keepdims=True))       # the max shift keeps exp finite
    return e / e.sum(axis=1, keepdims=True)


def log_softmax_rows(x):
    """x (R, K) -> y (R, K), each row (x − max) − log Σ exp(x − max)."""
    xp = xp_of(x)
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
