"""`mc.save(obj, path)` and `mc.load(path)`: the format is chosen by the path's suffix when
writing and by the file's first bytes when reading.

- minicnn's archive (archive.py, a NumPy .npz zip without pickle) holds any nesting of
  dicts, lists and tuples of tensors, arrays, numbers, strings and None. It is written for
  every path but `.safetensors`, PyTorch's suffixes (.pt, .pth ...) included: `torch.save`
  habits keep working, and the first such save of the process warns that the file is
  minicnn's format, which torch.load does not read.
- safetensors (safetensors_file.py) holds a flat dict of tensors (a state_dict); it is
  written for `.safetensors` paths and read through the safetensors package.
- PyTorch's zip files (what torch.save writes) are read, never written, through the
  bounds-checked loader of torch_files.py: `mc.load` returns the state_dict they hold as
  {name: Tensor}.
"""
import os
import warnings
import zipfile

from .. import backend
from ..tensor import Tensor
from . import archive
from .errors import FileFormatError
from .safetensors_file import load_safetensors, save_safetensors
from .torch_files import read_torch_file

SAFETENSORS_SUFFIX = ".safetensors"
TORCH_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt")
_ZIP_MAGIC = b"PK\x03\x04"


class FormatWarning(UserWarning):
    """A file is written in another format than its name suggests."""


_warned_torch_suffix = False


def _warn_torch_suffix(path):
    """Once per process: a PyTorch-named file holds minicnn's archive."""
    global _warned_torch_suffix
    if _warned_torch_suffix:
        return
    _warned_torch_suffix = True
    warnings.warn(f"save: {path} is written in minicnn's archive format (a NumPy .npz zip "
                  f"without pickle), not PyTorch's: mc.load reads it, torch.load does not; "
                  f"save to a .safetensors path to share weights with PyTorch",
                  FormatWarning, stacklevel=3)


def save(obj, path):
    """Write `obj` to `path` atomically: as safetensors for a `.safetensors` path (a dict
    of tensors only), else as minicnn's archive. Raises TypeError, before writing, for a
    value the format cannot hold."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    suffix = os.path.splitext(path)[1].lower()
    if suffix == SAFETENSORS_SUFFIX:
        save_safetensors(obj, path)
        return
    archive.save(obj, path)
    if suffix in TORCH_SUFFIXES:
        _warn_torch_suffix(path)


def _kind(path):
    """'archive', 'torch' or 'safetensors' by the file's first bytes (an empty file and a
    damaged zip are 'archive', whose reader says what is wrong), else the bytes it starts
    with."""
    with open(path, "rb") as file:
        head = file.read(9)
        if not head or head.startswith(_ZIP_MAGIC[:len(head)]):
            try:
                with zipfile.ZipFile(file) as zipped:
                    names = zipped.namelist()
            except Exception:
                return "archive"
            if f"{archive.STRUCTURE}.npy" not in names and \
                    any(n.rsplit("/", 1)[-1] == "data.pkl" for n in names):
                return "torch"
            return "archive"
    if len(head) == 9 and head[8:9] == b"{":
        return "safetensors"
    return head


def _unknown(where, head):
    legacy = " (a pickle: PyTorch's legacy format, which is not read; torch.save writes " \
             "the zip format by default)" if head.startswith(b"\x80") else ""
    return FileFormatError(f"{where} is none of the formats mc.load reads (minicnn's archive, "
                           f"safetensors, a PyTorch zip file): it starts with {head!r}{legacy}")


def _check_flag(name, value):
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"load: {name} must be True, False or None, got {value!r}")


def load(path, map_location=None, *, weights_only=None, mmap=None):
    """Read a file of minicnn's archive, safetensors or PyTorch's zip format (by content);
    tensors go to `map_location` (default "cpu"). Raises ValueError naming the file for
    one that is truncated, corrupt or of none of these formats; OSError
    (FileNotFoundError, IsADirectoryError ...) when the path cannot be opened.

    `weights_only` and `mmap` are torch.load's and accepted for its callers: no format is
    read by running code from the file, so every load keeps weights_only=True's promise
    whatever the flag: a PyTorch file gives its state_dict (or the one a checkpoint keeps
    under "state_dict"), and anything else in it is refused with either value. Files are
    read into memory, not mapped."""
    _check_flag("weights_only", weights_only)
    _check_flag("mmap", mmap)
    path = os.fspath(path)
    device = backend.Device(map_location or "cpu")
    where = f"load: {path}"
    kind = _kind(path)
    if kind == "archive":
        return archive.load(path, map_location)
    if kind == "safetensors":
        return load_safetensors(path, device, where)
    if kind == "torch":
        return {name: Tensor._make(backend.to_device(array, device))
                for name, array in read_torch_file(path, where).items()}
    raise _unknown(where, kind)
