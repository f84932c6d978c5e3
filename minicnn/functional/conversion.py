"""Differentiable dtype casts and device moves, and `Tensor.to` built on them."""
import numpy as np

from .. import backend
from ..autograd import Function
from ..dtypes import channels_last, memory_format as MemoryFormat
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


def check_memory_format(op, input, memory_format):
    """`memory_format` is None or one of PyTorch's names (`mc.preserve_format` ...), and
    channels_last is for 4-D tensors, as PyTorch requires."""
    if memory_format is None:
        return
    if not isinstance(memory_format, MemoryFormat):
        raise TypeError(f"{op}: memory_format must be mc.preserve_format, "
                        f"mc.contiguous_format or mc.channels_last, got {memory_format!r}")
    if memory_format is channels_last and input.ndim != 4:
        raise ValueError(f"{op}: memory_format=channels_last needs a 4-D tensor, got shape "
                         f"{tuple(input.shape)}")


def to(input, *args, dtype=None, device=None, non_blocking=False, copy=False,
       memory_format=None):
    """`Tensor.to`: `to(device)`, `to(dtype)`, `to(device, dtype)`, `to(other)` or keywords;
    differentiable, and `input` itself when nothing changes (a copy with `copy=True`).
    `non_blocking` has nothing to overlap here; `memory_format` is checked and kept."""
    check_memory_format("to", input, memory_format)
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
    if copy and out is input:
        out = Cast.apply(input, dtype=input.dtype)
    return out


# PyTorch's legacy tensor type names, which `Tensor.type()` answers with and accepts
LEGACY_TYPE_NAMES = {np.dtype(np.float32): "FloatTensor", np.dtype(np.float64): "DoubleTensor",
                     np.dtype(np.float16): "HalfTensor", np.dtype(np.int64): "LongTensor",
                     np.dtype(np.int32): "IntTensor", np.dtype(np.int16): "ShortTensor",
                     np.dtype(np.int8): "CharTensor", np.dtype(np.uint8): "ByteTensor",
                     np.dtype(np.bool_): "BoolTensor"}


def _parse_type_name(name):
    """(device, dtype) of a legacy name: 'torch.FloatTensor', 'torch.cuda.LongTensor' (the
    'minicnn.' prefix too)."""
    parts = name.split(".")
    if parts[0] in ("torch", "minicnn"):
        parts = parts[1:]
    device = "cuda" if parts[:1] == ["cuda"] else "cpu"
    parts = parts[1:] if device == "cuda" else parts
    by_name = {v: k for k, v in LEGACY_TYPE_NAMES.items()}
    if len(parts) != 1 or parts[0] not in by_name:
        raise ValueError(f"type: invalid type {name!r}; expected a dtype or a name such as "
                         f"'torch.FloatTensor' or 'torch.cuda.LongTensor'")
    return device, by_name[parts[0]]


def tensor_type(input, dtype=None, non_blocking=False):
    """`Tensor.type()`: with no argument, PyTorch's name of the tensor's type
    ('torch.FloatTensor', 'torch.cuda.LongTensor' ...); given a dtype or such a name, the
    tensor cast (and moved) to it, differentiably."""
    if dtype is None:
        return ("torch.cuda." if input.is_cuda else "torch.") + LEGACY_TYPE_NAMES[input.dtype]
    if isinstance(dtype, str):
        device, dtype = _parse_type_name(dtype)
        return to(input, device, dtype)
    return to(input, dtype=dtype)
