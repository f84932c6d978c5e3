"""safetensors files: a flat mapping of names to tensors (a state_dict), through the
safetensors package's NumPy API.

`save_safetensors` checks that the object is a dict of str → tensor or array before it
writes a byte (a safetensors file holds tensors only: other values are refused, naming the
key), serializes it with safetensors.numpy.save and writes the bytes atomically.
`load_safetensors` reads with safetensors.numpy.load_file, which checks the header and
every tensor's extent against the file; any failure is a FileFormatError naming the file.
The arrays it gives are copied into writable memory, so the tensors own their data.
"""
from collections.abc import Mapping

import numpy as np
import safetensors.numpy

from .. import backend
from ..tensor import Tensor
from .atomic import atomic_write
from .errors import named_failures

# dtype kinds a safetensors file can hold: bool, signed and unsigned integers, floats,
# complex (whether a given complex width is, the safetensors package says)
_KINDS = "biufc"


def _arrays(obj, path):
    """{name: C-contiguous NumPy array} of `obj`; TypeError for anything else."""
    if not isinstance(obj, Mapping):
        raise TypeError(f"save: {path}: a .safetensors file holds a dict of tensors (a "
                        f"state_dict), got a {type(obj).__name__}")
    arrays = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"save: {path}: safetensors names tensors by strings, got the key "
                            f"{key!r}")
        data = value._data if isinstance(value, Tensor) else value
        if not (isinstance(data, np.ndarray) or backend.is_cupy_array(data)):
            raise TypeError(f"save: {path}: {key!r} is a {type(value).__name__}, not a tensor; "
                            f"a .safetensors file holds tensors only (save other values to a "
                            f".npz path, minicnn's archive)")
        array = np.asarray(backend.to_device(data, "cpu"), order="C")
        if array.dtype.kind not in _KINDS:
            raise TypeError(f"save: {path}: {key!r} has dtype {array.dtype}, which a "
                            f"safetensors file cannot hold")
        arrays[key] = array
    return arrays


def save_safetensors(obj, path):
    """Write the dict of tensors `obj` to `path` as safetensors, atomically."""
    arrays = _arrays(obj, path)
    try:
        data = safetensors.numpy.save(arrays)
    except Exception as exc:  # the package's refusal (a dtype it lacks), as a TypeError
        raise TypeError(f"save: {path}: safetensors cannot store it ({exc})") from None
    with atomic_write(path, suffix=".safetensors") as f:
        f.write(data)


def load_safetensors(path, device, where):
    """{name: Tensor on `device`} of the safetensors file at `path`."""
    with named_failures(where, "truncated, corrupt or not a safetensors file"):
        arrays = safetensors.numpy.load_file(path)
    return {name: Tensor._make(backend.to_device(np.array(array), device))
            for name, array in arrays.items()}
