"""`save(obj, path)` / `load(path)`: nested dicts, lists and tuples of arrays, tensors and
plain scalars in one `.npz` file — never pickle.

Arrays become the archive's members; everything around them (the nesting, key types,
scalars, strings) is written as JSON into one more member. Writing goes to a temporary
file in the same folder, is flushed to disk and then renamed over the target, so an
interrupted save leaves the previous file intact.
"""
import json
import os
import zipfile

import numpy as np

from .. import backend
from ..tensor import Tensor
from .atomic import atomic_write

FORMAT = "minicnn-archive-1"
_STRUCTURE = "__minicnn_structure__"


def _encode(obj, arrays):
    """JSON-ready description of `obj`; arrays go into `arrays` and are referenced by name."""
    if isinstance(obj, Tensor):
        return {"tensor": _add_array(obj.data, arrays)}
    if isinstance(obj, np.ndarray) or backend.is_cupy_array(obj):
        return {"array": _add_array(obj, arrays)}
    if isinstance(obj, np.generic):
        return _encode(obj.item(), arrays)
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"save: dict keys must be str or int, got {key!r}")
            items.append([key, _encode(value, arrays)])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        return {"tuple" if isinstance(obj, tuple) else "list": [_encode(v, arrays) for v in obj]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    raise TypeError(f"save: cannot store an object of type {type(obj).__name__} (only dicts, "
                    f"lists, tuples, tensors, arrays, numbers, strings and None)")


def _add_array(array, arrays):
    name = f"a{len(arrays)}"
    arrays[name] = np.asarray(backend.to_device(array, "cpu"), order="C")
    return name


def _decode(node, archive, device):
    (kind, value), = node.items()
    if kind == "tensor":
        return Tensor._make(backend.to_device(archive[value], device))
    if kind == "array":
        return archive[value]
    if kind == "dict":
        return {key: _decode(v, archive, device) for key, v in value}
    if kind == "list":
        return [_decode(v, archive, device) for v in value]
    if kind == "tuple":
        return tuple(_decode(v, archive, device) for v in value)
    if kind == "value":
        return value
    raise ValueError(f"load: unknown entry kind {kind!r}")


def save(obj, path):
    """Write `obj` to `path` atomically (temporary file, fsync, rename)."""
    arrays = {}
    structure = json.dumps({"format": FORMAT, "root": _encode(obj, arrays)})
    arrays[_STRUCTURE] = np.frombuffer(structure.encode("utf-8"), dtype=np.uint8)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with atomic_write(path, suffix=".npz") as f:
        np.savez(f, **arrays)


def load(path, map_location=None):
    """Read what `save` wrote; tensors go to `map_location` (default "cpu")."""
    path = os.fspath(path)
    device = backend.Device(map_location or "cpu")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if _STRUCTURE not in archive.files:
                raise ValueError(f"load: {path} is not a minicnn file (no {_STRUCTURE} entry)")
            header = json.loads(archive[_STRUCTURE].tobytes().decode("utf-8"))
            if header.get("format") != FORMAT:
                raise ValueError(f"load: {path} has format {header.get('format')!r}, expected "
                                 f"{FORMAT!r}")
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, EOFError, OSError, json.JSONDecodeError, UnicodeDecodeError,
            KeyError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"load: {path} is truncated or not a minicnn file ({exc})") from None
    return _decode(header["root"], arrays, device)
