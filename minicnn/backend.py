"""Which array module, which device.

minicnn keeps every tensor's data in a NumPy array (device "cpu") or a CuPy
array (device "cuda"). Importing minicnn never imports CuPy; it is imported
the first time a CUDA device is asked for.
"""
import contextlib
import functools
import sys

import numpy as np

from .runtime.cuda_probe import cuda_state

_cupy = None


def cupy_module():
    """The cupy module, imported on first use; ImportError with advice if absent."""
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as exc:
            raise ImportError(
                "CUDA tensors need CuPy: pip install 'minicnn[cuda13]' (or [cuda12]: see README)"
            ) from exc
        _cupy = cupy
    return _cupy


def is_cupy_array(array):
    cupy = sys.modules.get("cupy")
    return cupy is not None and isinstance(array, cupy.ndarray)


def xp_of(array):
    """numpy or cupy, whichever owns `array`."""
    if is_cupy_array(array):
        return sys.modules["cupy"]
    return np


def cuda_is_available():
    """True when CuPy imports and at least one GPU answers (runtime.cuda_state says why
    not)."""
    return cuda_state()[0]


class Device:
    """A place for tensor data: `device("cpu")`, `device("cuda")`, `device("cuda:1")`."""

    __slots__ = ("type", "index")

    def __init__(self, spec, index=None):
        if isinstance(spec, Device):
            spec, index = spec.type, spec.index
        if not isinstance(spec, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda', got {spec!r}")
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"device: unknown device type {kind!r}; expected 'cpu' or 'cuda'")
        if idx:
            index = int(idx)
        if kind == "cuda" and index is None:
            index = 0
        if kind == "cpu" and index not in (None, 0):
            raise ValueError(f"device: cpu has no index {index}")
        self.type = kind
        self.index = index if kind == "cuda" else None

    def __eq__(self, other):
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}'" + ("" if self.index is None else f", index={self.index}") + ")"


CPU = Device("cpu")
# The device context of host arrays (on_device_of): there is no device to make current.
ON_HOST = contextlib.nullcontext()


def device_of(array):
    if is_cupy_array(array):
        return Device("cuda", array.device.id)
    return CPU


class DeviceMismatchError(RuntimeError, ValueError):
    """One op given tensors on two devices: a RuntimeError as PyTorch's, and a ValueError
    like every other bad argument of minicnn's."""


def device_mismatch(op, first, second, detail):
    """The DeviceMismatchError of `op` meeting devices `first` and `second`, in PyTorch's
    words, followed by `detail`."""
    return DeviceMismatchError(f"{op}: Expected all tensors to be on the same device, but "
                               f"found at least two devices, {first} and {second}! {detail}")


def check_same_device(op, arrays):
    """Raise DeviceMismatchError, naming the op, both devices and their arrays' shapes,
    where two of `arrays` (NumPy or CuPy, None skipped) live on different devices. Every op
    that takes several tensors checks them here, before any work."""
    if all(type(a) is np.ndarray or a is None for a in arrays):
        return                                  # host arrays: one device, nothing to ask
    first = None
    for a in arrays:
        if a is None:
            continue
        if first is None:
            first, where = a, device_of(a)
        elif device_of(a) != where:
            raise device_mismatch(op, where, device_of(a),
                                  f"(shapes {tuple(first.shape)} and {tuple(a.shape)})")


def on_device(device):
    """A context in which `device` ("cpu", "cuda:1", a Device) is the current one, so that
    CuPy allocates there (nothing to do for the CPU)."""
    device = Device(device)
    return ON_HOST if device.type == "cpu" else cupy_module().cuda.Device(device.index)


def device_of_context(context):
    """The device that `context` (from on_device_of) makes current."""
    return CPU if context is ON_HOST else Device("cuda", context.id)


def on_device_of(array):
    """A context in which `array`'s device is the current one (nothing to do for a host
    array): CuPy computes and allocates on the current device, whichever device the
    operands live on."""
    return array.device if is_cupy_array(array) else ON_HOST


def on_input_device(op):
    """Decorator for the functions that compute on a tensor's array outside an op's
    Function (bounds checks of indices, label conversions, running statistics, in-place
    initialisation): `op(input, ...)` runs with the device of input's array current, as
    Function.apply runs forward, so that it computes where the tensor lives whichever
    device the caller made current."""
    @functools.wraps(op)
    def run(input, *args, **kwargs):
        data = getattr(input, "_data", None)
        if type(data) is np.ndarray or not is_cupy_array(data):
            return op(input, *args, **kwargs)
        with data.device:
            return op(input, *args, **kwargs)
    return run


def xp_for(device):
    return cupy_module() if Device(device).type == "cuda" else np


def to_device(array, device):
    """`array` moved (copied only when needed) to `device`."""
    device = Device(device)
    if device.type == "cpu":
        return array.get() if is_cupy_array(array) else array
    cupy = cupy_module()
    with cupy.cuda.Device(device.index):
        return cupy.asarray(array)


def scatter_add(target, index, values):
    """target[index] += values, adding repeated indices (`add.at` of NumPy or CuPy)."""
    xp_of(target).add.at(target, index, values)
