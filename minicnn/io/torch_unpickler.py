"""The restricted unpickler for the data.pkl of a PyTorch zip file.

It resolves only the globals a state_dict file names (the tensor and parameter rebuilders,
the typed storage classes, OrderedDict) and refuses every other one before it could run.
It builds no arrays: each tensor comes out as a `TensorRecord` (storage, offset, size,
stride, exactly as the file states them), so that the caller checks every record against
its storage, naming the state_dict key, before any array is built.
"""
import pickle
from collections import OrderedDict

import numpy as np

from .errors import FileFormatError

STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
    "ComplexFloatStorage": np.complex64, "ComplexDoubleStorage": np.complex128,
}


class StorageType:
    """What the global `torch.FloatStorage` (and its siblings) stands for: a NumPy dtype."""

    __slots__ = ("name", "dtype")

    def __init__(self, name, dtype):
        self.name, self.dtype = name, np.dtype(dtype)


class TensorRecord:
    """A tensor as the file describes it: elements `offset + Σ index_i · stride_i` of
    `storage`, for every index below `size`. Nothing here is checked yet."""

    __slots__ = ("storage", "offset", "size", "stride")

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    """torch._utils._rebuild_tensor_v2, with its signature, recording instead of building."""
    return TensorRecord(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    """torch._utils._rebuild_parameter: a saved nn.Parameter is its tensor."""
    return data


_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): StorageType(name, dtype) for name, dtype in STORAGE_DTYPES.items()},
}


class TorchUnpickler(pickle.Unpickler):
    """Unpickles data.pkl; `read_storage(storage_type, key, numel)` supplies each storage
    the first time a persistent id names it. `where` prefixes every error message."""

    def __init__(self, file, read_storage, where):
        super().__init__(file)
        self.read_storage, self.where = read_storage, where

    def find_class(self, module, name):
        try:
            return _GLOBALS[(module, name)]
        except KeyError:
            pass
        if module == "torch" and name.endswith("Storage"):
            raise FileFormatError(f"{self.where}: torch.{name} is not supported (minicnn reads "
                                 f"tensors of {', '.join(sorted(STORAGE_DTYPES))})")
        raise FileFormatError(f"{self.where}: refusing to load {module}.{name}: only tensors "
                             f"and plain containers are allowed")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise FileFormatError(f"{self.where}: unexpected persistent id {pid!r}")
        _, storage_type, key, location, numel = pid
        if not isinstance(key, str):
            raise FileFormatError(f"{self.where}: storage key {key!r} is not a string")
        if not isinstance(storage_type, StorageType):
            raise FileFormatError(f"{self.where}: storage {key!r} has no storage type "
                                 f"({storage_type!r})")
        if not isinstance(location, str):
            raise FileFormatError(f"{self.where}: storage {key!r} has location {location!r}, "
                                 f"not a device name")
        if type(numel) is not int or numel < 0:
            raise FileFormatError(f"{self.where}: storage {key!r} has {numel!r} elements, not "
                                 f"a non-negative integer")
        return self.read_storage(storage_type, key, numel)
