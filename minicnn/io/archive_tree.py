"""The tree of an archive: everything `mc.save` keeps around the arrays, and back.

`encode` turns nested dicts, lists and tuples of tensors, arrays, numbers, strings and
None into JSON-ready nodes (one-key dicts such as {"list": [...]}) and collects the arrays
by name. It refuses, with a TypeError naming where the value sits, everything `decode`
could not give back: other objects, arrays of Python objects or of dtypes a .npy file
does not describe, structures that contain themselves. `decode` rebuilds the object from
the nodes and the arrays of a file, checking every node, since a file may be corrupt or
crafted.
"""
import numpy as np
from numpy.lib import format as npy_format

from .. import backend
from ..tensor import Tensor
from .errors import FileFormatError

_SCALARS = (bool, int, float, str)


def _storable(dtype):
    """A .npy file keeps `dtype` without pickle: it holds no Python objects, and its
    description reads back as the same dtype (a custom dtype such as bfloat16 does not)."""
    return not dtype.hasobject and \
        npy_format.descr_to_dtype(npy_format.dtype_to_descr(dtype)) == dtype


def _add_array(array, arrays, where):
    array = np.asarray(backend.to_device(array, "cpu"), order="C")
    if not _storable(array.dtype):
        raise TypeError(f"save: cannot store an array of dtype {array.dtype} at {where}: "
                        f"mc.load reads arrays of numbers, bools and strings, never pickle")
    name = f"a{len(arrays)}"
    arrays[name] = array
    return name


def encode(obj, arrays, where="obj", containers=frozenset()):
    """The JSON-ready node of `obj` (found at `where`); its arrays go into `arrays`.
    `containers` are the ids of the dicts, lists and tuples that hold `obj`."""
    if isinstance(obj, Tensor):
        return {"tensor": _add_array(obj._data, arrays, where)}
    if isinstance(obj, np.ndarray) or backend.is_cupy_array(obj):
        return {"array": _add_array(obj, arrays, where)}
    if isinstance(obj, np.generic):
        return encode(obj.item(), arrays, where, containers)
    if obj is None or isinstance(obj, _SCALARS):
        return {"value": obj}
    if not isinstance(obj, (dict, list, tuple)):
        raise TypeError(f"save: cannot store an object of type {type(obj).__name__} at {where} "
                        f"(only dicts, lists, tuples, tensors, arrays, numbers, strings and None)")
    if id(obj) in containers:
        raise TypeError(f"save: {where} contains itself; a cyclic structure cannot be stored")
    containers = containers | {id(obj)}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"save: dict keys must be str or int, got {key!r} at {where}")
            items.append([key, encode(value, arrays, f"{where}[{key!r}]", containers)])
        return {"dict": items}
    kind = "tuple" if isinstance(obj, tuple) else "list"
    return {kind: [encode(v, arrays, f"{where}[{i}]", containers) for i, v in enumerate(obj)]}


def _malformed(where, node):
    text = repr(node)
    return FileFormatError(f"{where} is corrupt: malformed structure node "
                           f"{text[:80] + '...' if len(text) > 80 else text}")


def decode(node, arrays, device, where):
    """The object `node` describes, its arrays taken from `arrays` ({name: array}) and its
    tensors placed on `device`. FileFormatError, prefixed by `where`, for a malformed node."""
    if not isinstance(node, dict) or len(node) != 1:
        raise _malformed(where, node)
    (kind, value), = node.items()
    if kind in ("tensor", "array"):
        if not isinstance(value, str) or value not in arrays:
            raise FileFormatError(f"{where} is corrupt: its structure names an array {value!r} "
                                  f"that the file does not hold")
        array = arrays[value]
        return Tensor._make(backend.to_device(array, device)) if kind == "tensor" else array
    if kind == "dict" and isinstance(value, list):
        result = {}
        for item in value:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int))
                    and not isinstance(item[0], bool)):
                raise _malformed(where, item)
            result[item[0]] = decode(item[1], arrays, device, where)
        return result
    if kind in ("list", "tuple") and isinstance(value, list):
        items = [decode(v, arrays, device, where) for v in value]
        return tuple(items) if kind == "tuple" else items
    if kind == "value" and (value is None or isinstance(value, _SCALARS)):
        return value
    raise _malformed(where, node)
