"""cupy.RawModule and cupy.RawKernel for the emulator: the CUDA C compiled for the host
(host_compiler), each launch checked the way a GPU would need its arguments, then run.

A real launch passes raw pointers and bytes: an array of the wrong dtype, a strided view, an
array on another device or a Python float where the kernel takes `long long` all run there
and give wrong numbers. Here each of them raises, naming the kernel and the parameter.
"""
import ctypes
import functools
import os

import numpy as np

from . import devices
from .array import ndarray
from .host_compiler import build, build_runner

MAX_THREADS_PER_BLOCK = 1024
# the largest extent of each dimension (x, y, z) a launch may have
MAX_DIMS = {"grid": (2 ** 31 - 1, 65535, 65535), "block": (1024, 1024, 64)}
THREADS_VARIABLE = "MINICNN_CUDA_EMULATE_THREADS"
_PYTHON_SCALARS = {bool: np.bool_, int: np.int64, float: np.float64}


class RawModule:
    """cupy.RawModule(code=..., options=...): the source is compiled on first use."""

    def __init__(self, code=None, path=None, options=(), backend="nvrtc", translate_cucomplex=False,
                 name_expressions=None, jitify=False):
        if code is None:
            with open(path) as file:
                code = file.read()
        self.code = code
        self.options = tuple(options)

    @functools.cached_property
    def _built(self):
        library, kernels, cooperative = build(self.code, self.options)
        return ctypes.CDLL(str(library)), kernels, cooperative

    def compile(self, log_stream=None):
        """Compile now rather than at the first get_function."""
        return self._built

    def get_function(self, name):
        library, kernels, cooperative = self._built
        if name not in kernels:
            raise AttributeError(f"no kernel named {name!r} in the module "
                                 f"(it has {sorted(kernels)})")
        entry = ctypes.cast(getattr(library, f"minicnn_thread_{name}"), ctypes.c_void_p)
        return EmulatedFunction(name, kernels[name], entry, cooperative)


def RawKernel(code, name, options=(), **kwargs):
    """cupy.RawKernel: the kernel `name` of `code`."""
    return RawModule(code=code, options=options, **kwargs).get_function(name)


class EmulatedFunction:
    """A kernel of a RawModule: kernel(grid, block, args) runs it on the host."""

    def __init__(self, name, parameters, entry, cooperative):
        self.name = name
        self.parameters = parameters
        self._entry = entry
        self._cooperative = cooperative

    def __call__(self, grid, block, args, shared_mem=0, stream=None,
                 enable_cooperative_groups=False):
        dims = _dims(self.name, "grid", grid) + _dims(self.name, "block", block)
        threads = dims[3] * dims[4] * dims[5]
        if threads > MAX_THREADS_PER_BLOCK:
            raise ValueError(f"kernel {self.name}: a block of {threads} threads exceeds "
                             f"{MAX_THREADS_PER_BLOCK} (cudaErrorInvalidConfiguration)")
        args = tuple(args)
        if len(args) != len(self.parameters):
            raise TypeError(f"kernel {self.name} takes {len(self.parameters)} arguments "
                            f"({', '.join(p.describe() for p in self.parameters)}), "
                            f"got {len(args)}")
        values = [self._value(parameter, arg) for parameter, arg in zip(self.parameters, args)]
        pointers = (ctypes.c_void_p * len(values))(*(v.ctypes.data for v in values))
        _runner().minicnn_launch((ctypes.c_longlong * 6)(*dims), self._cooperative,
                                 self._entry, pointers, worker_threads())

    def _value(self, parameter, arg):
        """A NumPy cell holding what the kernel receives for `parameter`: the address of the
        array's memory, or the scalar's bytes."""
        where = f"kernel {self.name}, parameter {parameter.describe()}"
        if parameter.pointer:
            if not isinstance(arg, ndarray):
                raise TypeError(f"{where}: expected a CUDA array, got {type(arg).__name__}")
            if arg.dtype != parameter.dtype:
                raise TypeError(f"{where}: got an array of {arg.dtype}, the kernel reads "
                                f"{parameter.dtype}")
            if not arg.flags.c_contiguous:
                raise ValueError(f"{where}: the array is not C-contiguous (strides "
                                 f"{arg.strides} for shape {arg.shape}); the kernel indexes "
                                 "it as contiguous")
            if arg._device_id != devices.current_id():
                raise ValueError(f"{where}: the array is on device {arg._device_id}, the "
                                 f"launch on device {devices.current_id()}")
            return np.array(arg._array.ctypes.data, dtype=np.uintp)
        if isinstance(arg, ndarray) or isinstance(arg, np.ndarray):
            raise TypeError(f"{where}: expected a scalar, got an array")
        given = np.dtype(type(arg)) if isinstance(arg, np.generic) else \
            np.dtype(_PYTHON_SCALARS.get(type(arg), object))
        if given != parameter.dtype:
            raise TypeError(f"{where}: got {type(arg).__name__} {arg!r} ({given}); pass "
                            f"numpy.{parameter.dtype.name}(...) so the kernel receives the "
                            "bytes it expects")
        return np.array(arg, dtype=parameter.dtype)


def worker_threads():
    """How many OS threads a launch spreads its blocks over: MINICNN_CUDA_EMULATE_THREADS,
    else one per CPU the process may run on."""
    value = os.environ.get(THREADS_VARIABLE, "")
    if not value:
        if hasattr(os, "sched_getaffinity"):
            return len(os.sched_getaffinity(0))
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{THREADS_VARIABLE} must be a positive integer, got {value!r}")
    return int(value)


@functools.lru_cache(maxsize=None)
def _runner():
    """The block runner's library, loaded once per process."""
    runner = ctypes.CDLL(str(build_runner()))
    runner.minicnn_launch.argtypes = (ctypes.POINTER(ctypes.c_longlong), ctypes.c_int,
                                      ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
                                      ctypes.c_int)
    runner.minicnn_launch.restype = None
    return runner


def _dims(kernel, what, dims):
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if not 1 <= len(dims) <= 3 or not all(isinstance(d, (int, np.integer)) and d >= 1
                                          for d in dims):
        raise ValueError(f"kernel {kernel}: {what} must be 1 to 3 positive integers, got "
                         f"{dims!r} (cudaErrorInvalidConfiguration)")
    dims = tuple(int(d) for d in dims) + (1,) * (3 - len(dims))
    for axis, extent, largest in zip("xyz", dims, MAX_DIMS[what]):
        if extent > largest:
            raise ValueError(f"kernel {kernel}: {what} {dims} has {extent} along {axis}, more "
                             f"than the {largest} a GPU allows (cudaErrorInvalidConfiguration)")
    return dims
