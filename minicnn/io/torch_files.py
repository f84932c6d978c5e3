"""PyTorch weights without PyTorch: convert a state_dict, or read a `.pth` file through an
unpickler that rebuilds tensors and plain containers and refuses everything else."""
import pickle
import zipfile
from collections import OrderedDict

import numpy as np

_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


def from_torch(state_dict):
    """{name: torch.Tensor} → {name: numpy array}; 0-d tensors (num_batches_tracked) stay
    0-d arrays. torch is never imported here: anything with .detach() and .numpy() works."""
    converted = OrderedDict()
    for name, value in state_dict.items():
        if hasattr(value, "detach") and hasattr(value, "numpy"):
            value = value.detach().cpu().numpy()
        converted[name] = np.asarray(value)
    return converted


def _rebuild_tensor(storage, offset, size, stride, *_):
    """A tensor's array: `size` elements read from `storage` with `stride` (in elements)."""
    itemsize = storage.itemsize
    if not size:
        return storage[offset].copy()
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size),
                                           strides=tuple(s * itemsize for s in stride))
    return np.array(view)


def _rebuild_parameter(data, requires_grad, backward_hooks, *_):
    return data


class _StorageType:
    def __init__(self, dtype):
        self.dtype = dtype


class _RestrictedUnpickler(pickle.Unpickler):
    """Knows exactly the globals a state_dict file names; anything else is an error."""

    def __init__(self, file, archive, prefix):
        super().__init__(file)
        self.archive, self.prefix = archive, prefix

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if (module, name) == ("torch._utils", "_rebuild_parameter"):
            return _rebuild_parameter
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        raise pickle.UnpicklingError(f"load_torch_file: refusing to load {module}.{name}: only "
                                     f"tensors and plain containers are allowed")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel = pid
        if kind != "storage" or not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"load_torch_file: unexpected persistent id {pid!r}")
        raw = self.archive.read(f"{self.prefix}data/{key}")
        return np.frombuffer(raw, dtype=storage_type.dtype, count=numel)


def load_torch_file(path):
    """The state_dict in a `.pth`/`.pt` file (PyTorch's zip format) as {name: array}."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ValueError(f"load_torch_file: {path} is not a PyTorch zip file (legacy "
                         f"non-zip .pth files are not supported)") from None
    with archive:
        names = [n for n in archive.namelist() if n.endswith("data.pkl")]
        if not names:
            raise ValueError(f"load_torch_file: {path} has no data.pkl")
        prefix = names[0][: -len("data.pkl")]
        byteorder = f"{prefix}byteorder"
        if byteorder in archive.namelist() and archive.read(byteorder) != b"little":
            raise ValueError(f"load_torch_file: {path} is big-endian, which is not supported")
        with archive.open(names[0]) as f:
            obj = _RestrictedUnpickler(f, archive, prefix).load()
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    return OrderedDict((k, np.asarray(v)) for k, v in obj.items())
