"""A tensor of a PyTorch file, checked against its storage, then copied into an array.

A record names a storage, an offset, sizes and strides, and `as_strided` would trust them
all: a crafted file could read memory outside the storage. So every record is checked
first, with exact integers: the offset, sizes and strides are non-negative int64 values
(bool is not an int), there is one stride per size, and the last element it reaches,
`offset + Σ (size_i − 1)·stride_i`, lies inside the storage. A tensor with a size of 0
reads nothing and needs no element, and the stride of a dimension of size 1 is never
followed. PyTorch's own loader applies the same bounds.
"""
import math

import numpy as np

from .errors import FileFormatError

_INT64_END = 2 ** 63


class Storage:
    """The elements of one zip entry `data/<key>`, as a flat read-only array."""

    __slots__ = ("key", "array")

    def __init__(self, key, array):
        self.key, self.array = key, array


def _is_index(value):
    return type(value) is int and 0 <= value < _INT64_END


def _check_indices(values, what, where):
    if not isinstance(values, (tuple, list)) or not all(_is_index(v) for v in values):
        raise FileFormatError(f"{where}: {what} {values!r} are not non-negative integers")
    return tuple(values)


def build_array(record, where):
    """The array `record` (a TensorRecord) describes, as a copy that owns its memory.
    Raises FileFormatError, prefixed by `where`, for any record that is not inside its
    storage."""
    storage = record.storage
    if not isinstance(storage, Storage):
        raise FileFormatError(f"{where}: its storage is a {type(storage).__name__}, not one of "
                             f"the file's storages")
    where = f"{where} (storage {storage.key!r})"
    if not _is_index(record.offset):
        raise FileFormatError(f"{where}: storage offset {record.offset!r} is not a "
                             f"non-negative integer")
    size = _check_indices(record.size, "sizes", where)
    stride = _check_indices(record.stride, "strides", where)
    if len(size) != len(stride):
        raise FileFormatError(f"{where}: {len(size)} sizes {size} but {len(stride)} strides "
                             f"{stride}")
    dtype = storage.array.dtype
    if 0 in size:
        return np.empty(size, dtype)
    last = record.offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage.array.size:
        raise FileFormatError(f"{where}: sizes {size} with strides {stride} from offset "
                             f"{record.offset} reach element {last}, but the storage holds "
                             f"{storage.array.size}")
    numel = math.prod(size)
    if numel * dtype.itemsize >= _INT64_END:
        raise FileFormatError(f"{where}: sizes {size} make {numel} elements, too many to hold")
    byte_strides = tuple(s * dtype.itemsize if n > 1 else 0 for n, s in zip(size, stride))
    view = np.lib.stride_tricks.as_strided(storage.array[record.offset:], shape=size,
                                           strides=byte_strides, writeable=False)
    try:
        return np.array(view)
    except MemoryError:
        raise FileFormatError(f"{where}: sizes {size} make {numel} elements of {dtype}, more "
                             f"than memory holds") from None
