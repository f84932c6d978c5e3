"""The arrays of an .npz archive, read without pickle, each checked before it is read.

An entry that is not a .npy array, holds Python objects, has a header NumPy cannot parse
or is shorter than its header states raises FileFormatError naming the file and the
entry; no entry allocates more than its bytes in the zip account for.
"""
import math

from numpy.lib import format as npy_format

from .errors import FileFormatError

_HEADER_READERS = {(1, 0): npy_format.read_array_header_1_0,
                   (2, 0): npy_format.read_array_header_2_0}


def _read_entry(archive, info, where):
    name = info.filename
    with archive.open(info) as entry:
        version = npy_format.read_magic(entry)
        if version not in _HEADER_READERS:
            raise FileFormatError(f"{where}: entry {name!r} is a .npy file of version "
                                  f"{version}, which is not read")
        shape, _fortran_order, dtype = _HEADER_READERS[version](entry)
    if dtype.hasobject:
        raise FileFormatError(f"{where}: entry {name!r} holds Python objects (dtype {dtype}); "
                              f"this file was not written by mc.save, which never pickles")
    if math.prod(shape) * dtype.itemsize > info.file_size:
        raise FileFormatError(f"{where}: entry {name!r} is shorter than the {shape} array of "
                              f"{dtype} its header states")
    with archive.open(info) as entry:
        return npy_format.read_array(entry, allow_pickle=False)


def read_npz(archive, where):
    """{entry name without ".npy": array} of every entry of the open ZipFile `archive`."""
    arrays = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise FileFormatError(f"{where}: entry {info.filename!r} is not a .npy array")
        arrays[info.filename[:-len(".npy")]] = _read_entry(archive, info, where)
    return arrays
