"""CIFAR-10 and CIFAR-100, read from the "python version" archives.

The batches in those archives are pickles (written by Python 2). Unpickling runs
whatever callables a file names, so they are read with `RestrictedUnpickler`, which
resolves only the few names such a file needs (NumPy's array reconstruction, dtype,
plain containers) and refuses everything else with pickle.UnpicklingError.

Files: `root/cifar-10-python.tar.gz` (read directly, without extracting) or the
extracted folder `root/cifar-10-batches-py/` that torchvision leaves; likewise
`cifar-100-python.tar.gz` / `cifar-100-python/`.
"""
import codecs
import io
import pickle
import tarfile

import numpy as np

from .base import VisionDataset
from .download import download_file, missing_files_error, resolve_mirrors, resolve_root

try:  # NumPy >= 2
    from numpy._core.multiarray import _reconstruct
    from numpy._core.numeric import _frombuffer
except ImportError:  # NumPy 1.x
    from numpy.core.multiarray import _reconstruct
    from numpy.core.numeric import _frombuffer

CIFAR_MIRRORS = ["https://www.cs.toronto.edu/~kriz/"]
CIFAR10_ARCHIVE = ("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a")
CIFAR100_ARCHIVE = ("cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85")


def _dtype(*args, **kwargs):
    dtype = np.dtype(*args, **kwargs)
    if dtype.hasobject:
        raise pickle.UnpicklingError("refusing an object dtype: CIFAR batches hold only "
                                     "numeric arrays")
    return dtype


def _latin1_encode(text, encoding="utf-8", errors="strict"):
    # Python 3 pickles bytes with protocol < 3 as _codecs.encode(text, "latin1").
    if codecs.lookup(encoding).name != "iso8859-1":
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return codecs.encode(text, "latin1", errors)


_SAFE_BUILTINS = {"dict": dict, "list": list, "tuple": tuple, "set": set,
                  "frozenset": frozenset, "bytes": bytes, "bytearray": bytearray, "str": str,
                  "int": int, "float": float, "bool": bool, "complex": complex}
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,    # written by NumPy 1.x
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,   # written by NumPy 2.x
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,         # protocol 5
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _dtype,
    ("_codecs", "encode"): _latin1_encode,
    **{("builtins", k): v for k, v in _SAFE_BUILTINS.items()},
    **{("__builtin__", k): v for k, v in _SAFE_BUILTINS.items()},  # Python 2 name
}


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler that can rebuild NumPy arrays and plain containers, and nothing else.

    `find_class` answers only from an explicit table of (module, name) pairs and never
    imports; any other global (os.system, builtins.eval, subprocess.Popen, ...) raises
    pickle.UnpicklingError before it could run.
    """

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name}: a CIFAR batch needs only NumPy "
                f"arrays and plain Python containers, so this file is not one (it may be "
                f"malicious)") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing a persistent id: CIFAR batches have none")


def restricted_load(file):
    """Unpickle a (Python 2 or 3) CIFAR batch from a binary file object."""
    return RestrictedUnpickler(file, encoding="latin1").load()


def _plain_keys(obj, where):
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: expected a pickled dict, got {type(obj).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _names(values):
    return [v.decode("latin1") if isinstance(v, bytes) else str(v) for v in values]


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training and 10,000 test 32×32 colour images in 10 classes.

    `dataset[i]` is `(image, label)`: a 32×32×3 uint8 NumPy array (HWC) and an int,
    after `transform` and `target_transform`. `data` is N×32×32×3 uint8, `targets` a
    list of ints, `classes` the names from the archive's meta file.
    """

    mirrors = CIFAR_MIRRORS
    archive = CIFAR10_ARCHIVE
    base_folder = "cifar-10-batches-py"
    train_list = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4",
                  "data_batch_5"]
    test_list = ["test_batch"]
    meta = ("batches.meta", "label_names")
    labels_key = "labels"

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False, mirrors=None):
        super().__init__(transform, target_transform)
        self.root = resolve_root(root)
        self.train = train
        filename, md5 = self.archive
        folder = self.root / self.base_folder
        names = self.train_list if train else self.test_list
        needed = names + [self.meta[0]]
        if download and not all((folder / n).is_file() for n in needed):
            download_file(filename, self.root, md5, resolve_mirrors(mirrors, self.mirrors))
        if all((folder / n).is_file() for n in needed):
            blobs = {n: (folder / n).read_bytes() for n in needed}
            source = folder
        elif (self.root / filename).is_file():
            blobs = self._read_archive(self.root / filename, needed)
            source = self.root / filename
        else:
            raise missing_files_error(type(self).__name__, self.root, [filename],
                                      [resolve_mirrors(mirrors, self.mirrors)[0] + filename])
        meta = _plain_keys(restricted_load(io.BytesIO(blobs[self.meta[0]])),
                           f"{source}: {self.meta[0]}")
        if self.meta[1] not in meta:
            raise ValueError(f"{source}: {self.meta[0]} has no {self.meta[1]!r} entry")
        self.classes = _names(meta[self.meta[1]])
        images, labels = [], []
        for name in names:
            batch = _plain_keys(restricted_load(io.BytesIO(blobs[name])), f"{source}: {name}")
            x, y = self._check_batch(batch, f"{source}: {name}")
            images.append(x)
            labels.extend(y)
        self.data = np.concatenate(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
        self.targets = labels

    def _read_archive(self, path, names):
        wanted = {f"{self.base_folder}/{n}": n for n in names}
        blobs = {}
        try:
            with tarfile.open(path, "r:gz") as tar:
                for member in tar:
                    key = wanted.get(member.name)
                    if key is not None and member.isfile():
                        blobs[key] = tar.extractfile(member).read()
        except (tarfile.TarError, OSError, EOFError) as error:
            raise ValueError(f"{path}: not a readable tar.gz archive ({error})") from None
        missing = [f"{self.base_folder}/{n}" for n in names if n not in blobs]
        if missing:
            raise ValueError(f"{path}: the archive lacks {', '.join(missing)}; is it the "
                             f"python version of {type(self).__name__}?")
        return blobs

    def _check_batch(self, batch, where):
        for key in ("data", self.labels_key):
            if key not in batch:
                raise ValueError(f"{where}: the batch has no {key!r} entry "
                                 f"(keys: {sorted(batch)})")
        data, labels = batch["data"], batch[self.labels_key]
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
                or data.shape[1] != 3 * 32 * 32:
            shape = getattr(data, "shape", None)
            raise ValueError(f"{where}: 'data' must be a uint8 array of shape (N, 3072), got "
                             f"{type(data).__name__} of shape {shape} and dtype "
                             f"{getattr(data, 'dtype', None)}")
        labels = [int(v) for v in labels]
        if len(labels) != len(data):
            raise ValueError(f"{where}: {len(data)} images but {len(labels)} labels")
        if labels and not 0 <= min(labels) <= max(labels) < len(self.classes):
            raise ValueError(f"{where}: labels must lie in [0, {len(self.classes)}), found "
                             f"{min(labels)}..{max(labels)}")
        return data, labels


class CIFAR100(CIFAR10):
    """CIFAR-100: CIFAR-10's format with 100 fine classes (`targets` are the fine labels)."""

    archive = CIFAR100_ARCHIVE
    base_folder = "cifar-100-python"
    train_list = ["train"]
    test_list = ["test"]
    meta = ("meta", "fine_label_names")
    labels_key = "fine_labels"
