"""Differentiable dtype casts and device moves, and `Tensor.to` built on them."""
import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor


class Cast(Function):
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        """da = g, cast back to the input's dtype."""
        return g.astype(ctx.dtype) if ctx.dtype.kind == "f" else None


class ToDevice(Function):
    @staticmethod
    def forward(ctx, a, device):
        ctx.device = backend.device_of(a)
        return backend.to_device(a, device)

    @staticmethod
    def backward(ctx, g):
        """da = g, moved back to the input's device."""
        return backend.to_device(g, ctx.device)


def astype(input, dtype):
    """`input` converted to `dtype` (differentiable between floating dtypes)."""
    dtype = np.dtype(dtype)
    if input.dtype == dtype:
        return input
    return Cast.apply(input, dtype=dtype)


def to_device(input, device):
    return ToDevice.apply(input, device=backend.Device(device))


def to(input, *args, dtype=None, device=None):
    """`Tensor.to`: `to(device)`, `to(dtype)`, `to(device, dtype)`, `to(other)` or keywords;
    differentiable, and `input` itself when nothing changes."""
    for arg in args:
        if isinstance(arg, (str, backend.Device)):
            device = arg
        elif isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        else:
            dtype = arg
    out = input
    if dtype is not None and np.dtype(dtype) != input.dtype:
        out = astype(out, dtype)
    if device is not None and backend.Device(device) != input.device:
        out = to_device(out, device)
    return out
