"""The emulated `cupy` module: array creation and transfers written out, every other NumPy
function and ufunc forwarded through `array.apply` (so it takes and returns emulated arrays),
plus cupy.cuda, cupy.random and RawModule. install() puts it in sys.modules as `cupy`."""
import sys
import types

import numpy as np

from . import devices, random_api, runtime_api
from .array import HOST_PARAMETERS, apply, check_device, ndarray, wrap
from .host_compiler import CompileException
from .raw_module import RawKernel, RawModule

__version__ = "0.0.0+minicnn.emulator"

cuda = types.ModuleType("cupy.cuda", "CUDA devices, streams and events of the emulator")
cuda.Device = devices.Device
cuda.Stream = devices.Stream
cuda.Event = devices.Event
cuda.get_current_stream = devices.get_current_stream
cuda.get_elapsed_time = devices.get_elapsed_time
cuda.runtime = runtime_api
cuda.is_available = lambda: True
cuda.compiler = types.ModuleType("cupy.cuda.compiler")
cuda.compiler.CompileException = CompileException
random = random_api


def asarray(a, dtype=None, order=None, blocking=False):
    """`a` on the current device: an emulated array already there is returned as it is (cast
    to `dtype` if given); anything else is copied in."""
    if isinstance(a, ndarray) and a._device_id == devices.current_id():
        return a if dtype is None or np.dtype(dtype) == a.dtype else a.astype(dtype)
    return array(a, dtype=dtype, order=order)


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, blocking=False):
    """A new array on the current device holding a copy of `obj` (host or device data)."""
    host = obj.get() if isinstance(obj, ndarray) else obj
    if isinstance(host, (list, tuple)):
        host = [item.get() if isinstance(item, ndarray) else item for item in host]
    return ndarray._wrap(np.array(host, dtype=dtype, order=order, ndmin=ndmin, copy=True))


def ascontiguousarray(a, dtype=None):
    """`a` itself when it is C-contiguous in `dtype`, else a contiguous copy."""
    a = asarray(a)
    if a.flags.c_contiguous and (dtype is None or np.dtype(dtype) == a.dtype):
        return a
    check_device((a,))
    return ndarray._wrap(np.ascontiguousarray(a._array, dtype=dtype), a._device_id)


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    """A NumPy copy of `a` (device data is copied out; host data is returned as NumPy)."""
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def get_array_module(*args):
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else np


def get_default_memory_pool():
    return _MemoryPool()


class _MemoryPool:
    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        """The emulator's arrays are host memory, freed by the garbage collector."""


class _Ufunc:
    """A NumPy ufunc that takes and returns emulated arrays (`cupy.add.at`, `cupy.maximum`)."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        return apply(self._ufunc, args, kwargs)

    def __getattr__(self, name):
        method = getattr(self._ufunc, name)
        if not callable(method):
            return method
        return lambda *args, **kwargs: apply(method, args, kwargs)


def _forward(function):
    host_positions = HOST_PARAMETERS.get(function.__name__, ())

    def forwarded(*args, **kwargs):
        return apply(function, args, kwargs, host_positions=host_positions)

    forwarded.__name__ = forwarded.__qualname__ = function.__name__
    forwarded.__doc__ = function.__doc__
    return forwarded


def __getattr__(name):
    """The NumPy name `name` in CuPy's form: types, dtypes and constants as they are,
    functions and ufuncs working on emulated arrays."""
    value = getattr(np, name)
    if isinstance(value, np.ufunc):
        value = _Ufunc(value)
    elif callable(value) and not isinstance(value, type):
        value = _forward(value)
    setattr(sys.modules[__name__], name, value)
    return value


__all__ = ["ndarray", "asarray", "array", "ascontiguousarray", "asnumpy", "get_array_module",
           "RawModule", "RawKernel", "cuda", "random", "wrap"]
