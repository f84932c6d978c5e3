"""PyTorch weights without PyTorch: convert a state_dict, or read a `.pth`/`.pt` file.

A file is read as untrusted input. Its data.pkl goes through `TorchUnpickler`, which
resolves only the globals a state_dict needs; each storage it names must be a zip entry
of exactly `numel × itemsize` bytes; each tensor is checked against its storage before
its array is built (`torch_tensors.build_array`). A file that fails any check, or that is
truncated or corrupt in any other way, raises ValueError naming the file and, where there
is one, the state_dict key or storage key — never another exception, and never an array
holding bytes from outside the file's storages.
"""
import io
import os
import zipfile
from collections import OrderedDict

import numpy as np

from .errors import FileFormatError, named_failures
from .torch_tensors import Storage, build_array
from .torch_unpickler import TensorRecord, TorchUnpickler


def from_torch(state_dict):
    """{name: torch.Tensor} → {name: numpy array}; 0-d tensors (num_batches_tracked) stay
    0-d arrays. torch is never imported here: anything with .detach() and .numpy() works."""
    converted = OrderedDict()
    for name, value in state_dict.items():
        if hasattr(value, "detach") and hasattr(value, "numpy"):
            value = value.detach().cpu().numpy()
        converted[name] = np.asarray(value)
    return converted


class _StorageReader:
    """Reads the zip entry `<prefix>data/<key>` of each storage once; later references to
    the same key (views sharing a storage) must agree on its dtype and element count."""

    def __init__(self, archive, prefix, where):
        self.archive, self.prefix, self.where = archive, prefix, where
        self.storages = {}

    def __call__(self, storage_type, key, numel):
        if key in self.storages:
            storage = self.storages[key].array
            if (storage.dtype, storage.size) != (storage_type.dtype, numel):
                raise FileFormatError(f"{self.where}: storage {key!r} is named as {numel} "
                                     f"elements of {storage_type.dtype} and as {storage.size} "
                                     f"of {storage.dtype}")
            return self.storages[key]
        entry = f"{self.prefix}data/{key}"
        try:
            info = self.archive.getinfo(entry)
        except KeyError:
            raise FileFormatError(f"{self.where}: storage {key!r} has no zip entry "
                                 f"{entry!r}") from None
        expected = numel * storage_type.dtype.itemsize
        if info.file_size != expected:
            raise FileFormatError(f"{self.where}: storage {key!r} holds {info.file_size} bytes, "
                                 f"but {numel} elements of {storage_type.dtype} take {expected}")
        array = np.frombuffer(self.archive.read(entry), dtype=storage_type.dtype)
        self.storages[key] = Storage(key, array)
        return self.storages[key]


def _state_dict_records(obj, where):
    """The {key: TensorRecord} of an unpickled file: a state_dict, or a checkpoint dict
    that keeps one under "state_dict"."""
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise FileFormatError(f"{where} holds a {type(obj).__name__}, not a state_dict (a dict "
                             f"of tensors)")
    for key, value in obj.items():
        if not isinstance(key, str):
            raise FileFormatError(f"{where}: state_dict key {key!r} is not a string")
        if not isinstance(value, TensorRecord):
            raise FileFormatError(f"{where}: {key!r} is a {type(value).__name__}, not a tensor "
                                 f"(a state_dict maps names to tensors)")
    return obj


def _read(archive, where):
    pickles = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == "data.pkl"]
    if not pickles:
        raise FileFormatError(f"{where} has no data.pkl")
    prefix = pickles[0][: -len("data.pkl")]
    byteorder = f"{prefix}byteorder"
    if byteorder in archive.namelist() and archive.read(byteorder) != b"little":
        raise FileFormatError(f"{where} is not little-endian, which is not supported")
    data = io.BytesIO(archive.read(pickles[0]))
    obj = TorchUnpickler(data, _StorageReader(archive, prefix, where), where).load()
    records = _state_dict_records(obj, where)
    return OrderedDict((key, build_array(record, f"{where}: {key!r}"))
                       for key, record in records.items())


def load_torch_file(path):
    """The state_dict in a `.pth`/`.pt` file (PyTorch's zip format) as {name: array}.

    Raises ValueError for a file that is not one, is truncated or corrupt, names anything
    but tensors and plain containers, or describes a tensor outside its storage; OSError
    (FileNotFoundError, IsADirectoryError, ...) when the file cannot be opened."""
    path = os.fspath(path)
    return read_torch_file(path, f"load_torch_file: {path}")


def read_torch_file(path, where):
    """load_torch_file's work, its errors prefixed by `where` (the caller's name and the
    file)."""
    with open(path, "rb") as file:
        try:
            archive = zipfile.ZipFile(file)
        except Exception as exc:
            raise FileFormatError(f"{where} is not a PyTorch zip file ({exc}; legacy non-zip "
                                  f".pth files are not supported)") from None
        with archive:
            with named_failures(where, "truncated or corrupt"):
                return _read(archive, where)
