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


def masked_softmax_rows(x):
    """Each row of x (R, K) replaced by its softmax in place; a row of −∞ only (every key of
    an attention row masked) becomes 0, where a plain softmax would give 0/0. Returns x."""
    xp = xp_of(x)
    top = x.max(axis=1, keepdims=True)
    top[top == -xp.inf] = 0                             # a masked row: its exps are all 0
    x -= top                                            # max-shifted: exp stays finite
    xp.exp(x, out=x)
    total = x.sum(axis=1, keepdims=True)
    total[total == 0] = 1                               # masked rows stay 0
    x /= total
    return x


def softmax_backward_rows(s, g):
    """dL/dx (R, K) of s = softmax(x) along rows, from g = dL/ds: s·(g − Σₖ g·s)."""
    return s * (g - (g * s).sum(axis=1, keepdims=True))
