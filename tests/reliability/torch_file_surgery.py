"""Take a `torch.save` file apart and put it back together with changed records, so that
tests can feed loaders crafted files that still pass the zip's checksums.

`read(path)` gives a `TorchFile`: the zip's entries (name → bytes), the name of its
data.pkl and the unpickled object, in which every tensor is a `TensorRecord` and every
storage a `StorageRecord`, each field exactly as the file states it. `write(torch_file,
path)` pickles the object again the way torch.save does (protocol 2, the same globals
and persistent ids, whatever values the fields now hold) into a fresh zip.
"""
import dataclasses
import io
import pickle
import zipfile
from collections import OrderedDict

import torch
import torch._utils


@dataclasses.dataclass
class StorageRecord:
    type_name: object   # "FloatStorage", ...: the global torch.<type_name>
    key: object         # the zip entry is <prefix>data/<key>
    location: object
    numel: object


@dataclasses.dataclass
class TensorRecord:
    storage: object     # a StorageRecord (shared by views of one storage)
    offset: object
    size: object
    stride: object


@dataclasses.dataclass
class TorchFile:
    entries: dict
    pickle_name: str
    obj: object

    @property
    def prefix(self):
        return self.pickle_name[: -len("data.pkl")]

    def tensors(self):
        """{state_dict key: TensorRecord} of a file holding a flat state_dict."""
        return {k: v for k, v in self.obj.items() if isinstance(v, TensorRecord)}

    def storages(self):
        """Each distinct StorageRecord once, in order of first use."""
        seen = {}
        for record in self.tensors().values():
            seen.setdefault(id(record.storage), record.storage)
        return list(seen.values())


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, metadata=None):
    return TensorRecord(storage, offset, size, stride)


class _RecordingUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch" and name.endswith("Storage"):
            return name
        raise pickle.UnpicklingError(f"unexpected global {module}.{name} in a test file")

    def persistent_load(self, pid):
        _, type_name, key, location, numel = pid
        return StorageRecord(type_name, key, location, numel)


class _RecordPickler(pickle.Pickler):
    """Pickles records as torch.save pickles tensors and storages."""

    def persistent_id(self, obj):
        if isinstance(obj, StorageRecord):
            return ("storage", getattr(torch, obj.type_name), obj.key, obj.location, obj.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, TensorRecord):
            return torch._utils._rebuild_tensor_v2, (obj.storage, obj.offset, obj.size,
                                                     obj.stride, False, OrderedDict())
        return NotImplemented


def read(path):
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    pickle_name = next(n for n in entries if n.endswith("/data.pkl"))
    obj = _RecordingUnpickler(io.BytesIO(entries[pickle_name])).load()
    return TorchFile(entries, pickle_name, obj)


def dumps(obj):
    """data.pkl bytes for `obj` (records, dicts, plain values)."""
    buffer = io.BytesIO()
    _RecordPickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def write(torch_file, path, pickle_bytes=None):
    """Write the file's entries with data.pkl pickled from its object (or `pickle_bytes`)."""
    entries = dict(torch_file.entries)
    entries[torch_file.pickle_name] = dumps(torch_file.obj) if pickle_bytes is None \
        else pickle_bytes
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
