"""`save(obj, path)` / `load(path)`: nested dicts, lists and tuples of arrays, tensors and
plain scalars in one `.npz` file — never pickle.

Arrays become the archive's entries; everything around them (the nesting, key types,
scalars, strings) is written as JSON into one more entry (`archive_tree`). `save` checks
the whole object before it writes a byte, so a value `load` could not give back is refused
and an existing file is left as it was. Writing goes to a temporary file in the same
folder, is flushed to disk and then renamed over the target (`atomic_write`), so an
interrupted save leaves the previous file intact. `load` reads any file as untrusted: a
file that is truncated, corrupt or not minicnn's raises ValueError naming the file and the
problem.
"""
import json
import os
import zipfile

import numpy as np

from .. import backend
from .archive_tree import decode, encode
from .atomic import atomic_write
from .errors import FileFormatError, named_failures
from .npz_reader import read_npz

FORMAT = "minicnn-archive-1"
STRUCTURE = "__minicnn_structure__"


def save(obj, path):
    """Write `obj` to `path` atomically (temporary file, fsync, rename) in an existing
    folder. Raises TypeError, naming where in `obj`, for any value `load` could not give
    back, before writing."""
    arrays = {}
    try:
        root = encode(obj, arrays)
    except RecursionError:
        raise TypeError("save: the object is nested too deeply to store") from None
    structure = json.dumps({"format": FORMAT, "root": root})
    arrays[STRUCTURE] = np.frombuffer(structure.encode("utf-8"), dtype=np.uint8)
    path = os.fspath(path)
    with atomic_write(path, suffix=".npz") as f:
        np.savez(f, **arrays)


def _read_arrays(file, where):
    if os.fstat(file.fileno()).st_size == 0:
        raise FileFormatError(f"{where} is truncated or not a minicnn file (the file is empty)")
    try:
        archive = zipfile.ZipFile(file)
    except Exception as exc:
        raise FileFormatError(f"{where} is truncated or not a minicnn file (not a zip "
                              f"archive: {exc})") from None
    with archive:
        if f"{STRUCTURE}.npy" not in archive.namelist():
            raise FileFormatError(f"{where} is not a minicnn file (no {STRUCTURE} entry)")
        with named_failures(where, "truncated or not a minicnn file"):
            return read_npz(archive, where)


def _header(structure, where):
    if structure.dtype != np.uint8 or structure.ndim != 1:
        raise FileFormatError(f"{where} is corrupt: its {STRUCTURE} entry is not text")
    try:
        header = json.loads(structure.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FileFormatError(f"{where} is corrupt: its structure is not JSON ({exc})") from None
    if not isinstance(header, dict) or "root" not in header:
        raise FileFormatError(f"{where} is corrupt: its structure has no root")
    if header.get("format") != FORMAT:
        raise FileFormatError(f"{where} has format {header.get('format')!r}, expected "
                              f"{FORMAT!r}")
    return header


def load(path, map_location=None):
    """Read what `save` wrote; tensors go to `map_location` (default "cpu"). Raises
    ValueError for a file that is truncated, corrupt or not minicnn's, and OSError
    (FileNotFoundError, IsADirectoryError, ...) when the path cannot be opened."""
    path = os.fspath(path)
    device = backend.Device(map_location or "cpu")
    where = f"load: {path}"
    with open(path, "rb") as file:
        arrays = _read_arrays(file, where)
    header = _header(arrays.pop(STRUCTURE), where)
    try:
        return decode(header["root"], arrays, device, where)
    except RecursionError:
        raise FileFormatError(f"{where} is corrupt: its structure is nested too "
                              f"deeply") from None
