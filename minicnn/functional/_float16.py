"""float16 for the ops whose kernels are typed for float32 and float64.

Numba and the CUDA sources have no half-precision arithmetic, so these ops take float16
tensors the way PyTorch's CPU half ops do: they compute in float32 (which holds every
float16 value exactly) and round the result back to float16. The casts are differentiable,
so gradients come back in float16 too.
"""
import functools
import inspect

import numpy as np

from ..tensor import Tensor
from .arithmetic import astype

_HALF = np.dtype(np.float16)
_SINGLE = np.dtype(np.float32)


def _is_half(value):
    return isinstance(value, Tensor) and value._data.dtype is _HALF


def _widen(value):
    return astype(value, _SINGLE) if _is_half(value) else value


def _narrow(result):
    """float32 Tensors of `result` (a Tensor, a tuple or list of them, or None) as float16."""
    if isinstance(result, (tuple, list)):
        return type(result)(_narrow(r) for r in result)
    if isinstance(result, Tensor) and result.dtype == _SINGLE:
        return astype(result, _HALF)
    return result


def _any_half(args, kwargs, picked, names):
    """Whether an argument at positions `picked` or with keywords `names` is float16."""
    n = len(args)
    for i in picked:
        if i < n and _is_half(args[i]):
            return True
    if kwargs:
        for name in names:
            if name in kwargs and _is_half(kwargs[name]):
                return True
    return False


def _chosen(args, kwargs, picked, names):
    """The arguments at positions `picked` or with keywords `names`."""
    chosen = [args[i] for i in picked if i < len(args)]
    return chosen + [kwargs[name] for name in names if name in kwargs] if kwargs else chosen


def computed_in_float32(*names):
    """Decorator: when every floating Tensor among the arguments `names` is float16, the op
    runs on float32 copies of them and its floating results come back as float16. Any other
    mix of dtypes reaches the op unchanged (and its own dtype checks)."""
    def wrap(op):
        positions = {name: i for i, name in enumerate(inspect.signature(op).parameters)}
        picked = tuple(positions[name] for name in names)

        @functools.wraps(op)
        def run(*args, **kwargs):
            if not _any_half(args, kwargs, picked, names):  # the common case, checked cheaply
                return op(*args, **kwargs)
            chosen = _chosen(args, kwargs, picked, names)
            if any(isinstance(t, Tensor) and t.dtype.kind == "f" and not _is_half(t)
                   for t in chosen):
                return op(*args, **kwargs)
            args = [_widen(a) if i in picked else a for i, a in enumerate(args)]
            kwargs = {k: _widen(v) if k in names else v for k, v in kwargs.items()}
            return _narrow(op(*args, **kwargs))
        return run
    return wrap
