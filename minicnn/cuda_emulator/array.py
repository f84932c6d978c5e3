"""The emulated cupy.ndarray: a NumPy array that stands for device memory.

It keeps CuPy's boundary between host and device, so code that crosses it by accident fails
here as it would on a GPU: NumPy refuses to convert it implicitly (`np.asarray` raises, as
CuPy's does), an operation that mixes it with a NumPy array raises, and data moves only
through `cupy.asarray` (a copy in) and `.get()` (a copy out). Each array belongs to the device
that was current when it was made, and an operation that computes on it (a ufunc, a reduction,
a kernel launch) must run with that device current, as minicnn requires of its launches.
Views (reshape, slicing, transposes) cost nothing and may be taken from any device.
"""
import numpy as np

from . import devices

_VIEWS = frozenset({"reshape", "view", "transpose", "swapaxes", "squeeze", "ravel", "flatten",
                    "diagonal", "get", "item", "tolist", "copy", "astype", "nonzero",
                    "__array_namespace__"})
_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
             "construct a NumPy array explicitly.")


# the positional parameters of NumPy functions that CuPy reads on the host, not as data
HOST_PARAMETERS = {"split": (1,), "array_split": (1,), "hsplit": (1,), "vsplit": (1,),
                   "dsplit": (1,), "reshape": (1,), "broadcast_to": (1,), "tile": (1,)}


class MemoryPointer:
    """ndarray.data: the address of the first element, as CuPy gives it."""

    def __init__(self, array):
        self.ptr = array.ctypes.data
        self.device_id = None


class ndarray(np.lib.mixins.NDArrayOperatorsMixin):
    """cupy.ndarray (see the module docstring)."""

    __slots__ = ("_array", "_device_id")

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._array = np.empty(shape, dtype=dtype, order=order)
        self._device_id = devices.current_id()

    @classmethod
    def _wrap(cls, array, device_id=None):
        made = cls.__new__(cls)
        made._array = array
        made._device_id = devices.current_id() if device_id is None else device_id
        return made

    # --- what CuPy gives beyond NumPy
    def get(self, stream=None, order="C", out=None):
        """A NumPy copy on the host."""
        if out is not None:
            out[...] = self._array
            return out
        return np.array(self._array, order=order, copy=True)

    @property
    def device(self):
        return devices.Device(self._device_id)

    @property
    def data(self):
        return MemoryPointer(self._array)

    def set(self, array, stream=None):
        """Copy the NumPy `array` (same shape) into this array."""
        self._array[...] = array

    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    # --- NumPy's protocols: every operation goes through `apply`
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if getattr(np, ufunc.__name__, None) is not ufunc:
            return NotImplemented  # CuPy runs its own ufunc of that name; np.frompyfunc's have none
        return apply(getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return apply(func, args, kwargs, host_positions=HOST_PARAMETERS.get(func.__name__, ()))

    # --- attributes: plain ones from the NumPy array, methods through `apply`
    shape = property(lambda self: self._array.shape)
    dtype = property(lambda self: self._array.dtype)
    strides = property(lambda self: self._array.strides)
    size = property(lambda self: self._array.size)
    ndim = property(lambda self: self._array.ndim)
    itemsize = property(lambda self: self._array.itemsize)
    nbytes = property(lambda self: self._array.nbytes)
    flags = property(lambda self: self._array.flags)
    T = property(lambda self: self._view(self._array.T))
    mT = property(lambda self: self._view(np.swapaxes(self._array, -1, -2)))
    real = property(lambda self: self._view(self._array.real))
    imag = property(lambda self: self._view(self._array.imag))

    @property
    def base(self):
        return None if self._array.base is None else self._view(self._array.base)

    @shape.setter
    def shape(self, value):
        self._array.shape = value

    def _view(self, array):
        return ndarray._wrap(array, self._device_id)

    def __getattr__(self, name):
        if name.startswith("__"):
            # NumPy's own protocols (__array_interface__, __array_struct__) would hand the
            # host memory to np.asarray; CuPy's arrays have none of them
            raise AttributeError(f"'cupy.ndarray' object has no attribute {name!r}")
        attribute = getattr(self._array, name)
        if not callable(attribute):
            return attribute
        if name in _VIEWS:
            return lambda *args, **kwargs: wrap(attribute(*unwrap(args), **unwrap(kwargs)),
                                                self._device_id)
        return lambda *args, **kwargs: apply(attribute, (self,) + args, kwargs, bound=True)

    # --- Python's protocols
    def __getitem__(self, key):
        host_key = unwrap_index(key)
        if _is_basic(key):
            return self._view(self._array[host_key])
        return apply(lambda array: array[host_key], (self,), {})

    def __setitem__(self, key, value):
        check_device((self,) + ((value,) if isinstance(value, ndarray) else ()))
        self._array[unwrap_index(key)] = value._array if isinstance(value, ndarray) else value

    def __len__(self):
        return len(self._array)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        return bool(self._array)

    def __int__(self):
        return int(self._array)

    def __float__(self):
        return float(self._array)

    def __complex__(self):
        return complex(self._array)

    def __index__(self):
        return self._array.__index__()

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        return _rebuild, (self.get(), self._device_id)

    def __dlpack__(self, stream=None, **kwargs):
        raise TypeError("the CUDA emulator's arrays do not export DLPack capsules")

    def __repr__(self):
        return repr(self._array)

    def __str__(self):
        return str(self._array)

    def __format__(self, spec):
        return format(self._array.item() if self.ndim == 0 else self._array, spec)


def _rebuild(host, device_id):
    return ndarray._wrap(host, device_id)


def _is_basic(key):
    """Whether indexing with `key` gives a view (integers, slices, None, Ellipsis)."""
    keys = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice))
               for k in keys)


def unwrap_index(key):
    """An index with emulated arrays replaced by their NumPy arrays (NumPy index arrays are
    accepted too, as CuPy accepts them)."""
    if isinstance(key, tuple):
        return tuple(unwrap_index(k) for k in key)
    return key._array if isinstance(key, ndarray) else key


def unwrap(value, strict=True):
    """`value` with every emulated array replaced by its NumPy array, through lists, tuples
    and dicts. `strict`: a NumPy array in it is refused, as CuPy refuses host data where it
    computes on device data."""
    if isinstance(value, ndarray):
        return value._array
    if isinstance(value, np.ndarray):
        if strict:
            raise TypeError(f"Unsupported type {type(value)} (a NumPy array where a CUDA "
                            "array is expected; move it with cupy.asarray)")
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(unwrap(v, strict) for v in value)
    if isinstance(value, dict):
        return {k: unwrap(v, strict) for k, v in value.items()}
    return value


def wrap(value, device_id=None):
    """NumPy results as emulated arrays on `device_id` (the current device by default); a
    NumPy scalar becomes a 0-d array, as CuPy's reductions return."""
    if isinstance(value, np.ndarray):
        return ndarray._wrap(value, device_id)
    if isinstance(value, np.generic):
        return ndarray._wrap(np.asarray(value), device_id)
    if isinstance(value, tuple):
        return tuple(wrap(v, device_id) for v in value)
    if isinstance(value, list):
        return [wrap(v, device_id) for v in value]
    return value


def arrays_in(value):
    if isinstance(value, ndarray):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from arrays_in(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from arrays_in(v)


def check_device(operands, what="operation"):
    """Raise unless every emulated array among `operands` lives on the current device."""
    current = devices.current_id()
    for array in arrays_in(operands):
        if array._device_id != current:
            raise ValueError(f"Array device must be same as the current device: array device "
                             f"= {array._device_id} while current = {current} ({what})")


def apply(function, args, kwargs, bound=False, host_positions=()):
    """Run the NumPy `function` on emulated operands: the operands checked (on the current
    device, and no NumPy array among them, which CuPy refuses too), unwrapped, and the result
    wrapped; with `out=` the given emulated arrays are returned. `host_positions`: positional
    parameters that are not data and may be NumPy arrays (split points, shapes). `bound`:
    args[0] is the array `function` is bound to."""
    check_device((args, kwargs))
    if bound:
        args = args[1:]
    host_args = tuple(unwrap(a, strict=i not in host_positions) for i, a in enumerate(args))
    result = function(*host_args, **unwrap(kwargs))
    out = kwargs.get("out")
    if out is not None:
        return out[0] if isinstance(out, tuple) and len(out) == 1 else out
    return wrap(result)
