"""Non-finite values in training: the error `fit` raises and the check behind it.

One NaN or ±inf in a loss, a gradient or a weight spreads to every weight in a step or two,
so `fit` checks each loss and each batch's gradients before the optimizer step, and
`save_checkpoint` checks the weights (and the optimizer's state) before it writes, so that
a good checkpoint is never replaced by a poisoned one.
"""
from ..backend import xp_of
from ..tensor import Tensor

POLICIES = ("stop", "skip", "raise")


class NonFiniteError(FloatingPointError):
    """A loss, gradient or weight holds NaN or ±inf: raised by `fit(on_nonfinite="raise")`
    and by `save_checkpoint` instead of writing such weights (`entry` names the first
    one)."""

    def __init__(self, message, entry=None):
        super().__init__(message)
        self.entry = entry


def nonfinite_entry(state, path=""):
    """The path ("model/fc.weight", "optimizer/state/0/exp_avg") of the first floating
    Tensor or array in the nested dicts and lists `state` that holds NaN or ±inf; None when
    every one is finite."""
    if isinstance(state, dict):
        items = state.items()
    elif isinstance(state, (list, tuple)):
        items = enumerate(state)
    else:
        array = state._data if isinstance(state, Tensor) else state
        kind = getattr(getattr(array, "dtype", None), "kind", None)
        if kind in ("f", "c") and not bool(xp_of(array).isfinite(array).all()):
            return path
        return None
    for key, value in items:
        found = nonfinite_entry(value, f"{path}/{key}" if path else str(key))
        if found is not None:
            return found
    return None
