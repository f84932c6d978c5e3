"""MNIST and Fashion-MNIST, read from their IDX files (gzip-compressed or not).

Files are looked for in `root/MNIST/` (or `root/FashionMNIST/`), and in the `raw/`
folder below it where torchvision keeps them.
"""
import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from .base import VisionDataset
from .download import download_file, missing_files_error, resolve_mirrors, resolve_root

MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
MNIST_RESOURCES = [
    ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
]
FASHION_MNIST_MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
]
FASHION_MNIST_RESOURCES = [
    ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
    ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
    ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
]

# IDX type codes (third byte of the magic number) and their big-endian NumPy types.
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension


def read_idx(path, magic=None):
    """The array in an IDX file (gzip-compressed or not), checked against its header.

    `magic`, if given, is the magic number the file must carry (2051 for image files,
    2049 for label files).
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{path}: corrupt gzip data ({error})") from None
    if len(raw) < 4 or raw[:2] != b"\0\0":
        raise ValueError(f"{path}: not an IDX file (it starts with {raw[:4].hex() or 'nothing'}, "
                         f"an IDX file starts with two zero bytes)")
    found = struct.unpack(">I", raw[:4])[0]
    if magic is not None and found != magic:
        raise ValueError(f"{path}: magic number {found} (0x{found:08x}) but expected {magic} "
                         f"(0x{magic:08x}); is this the right file?")
    code, ndim = raw[2], raw[3]
    if code not in IDX_TYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02x} in magic number "
                         f"0x{found:08x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated header ({len(raw)} bytes, {ndim} dimensions need "
                         f"{header})")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(IDX_TYPES[code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path}: the header announces shape {shape} of {dtype.name} "
                         f"({expected} bytes of data) but the file holds {len(raw) - header} "
                         f"bytes after the header")
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test 28×28 images.

    `dataset[i]` is `(image, label)`: a 28×28 uint8 NumPy array and an int, after
    `transform` and `target_transform`. `data` (N×28×28 uint8) and `targets` (N, int64)
    hold everything. `download=True` fetches the split's files (checked by MD5) from
    `mirrors` (default: `MINICNN_DATA_MIRROR` or the class's `mirrors`) unless they are on
    disk already, compressed or not, in `root/MNIST/` or in the `raw/` folder where
    torchvision keeps them: a data folder torchvision filled serves as it is.
    """

    mirrors = MNIST_MIRRORS
    resources = MNIST_RESOURCES
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False, mirrors=None):
        super().__init__(transform, target_transform)
        self.root = resolve_root(root)
        self.train = train
        prefix = "train" if train else "t10k"
        files = [(name, md5) for name, md5 in self.resources if name.startswith(prefix)]
        images_name = next(n for n, _ in files if "images" in n)
        labels_name = next(n for n, _ in files if "labels" in n)
        images_path, labels_path = self._find(images_name), self._find(labels_name)
        if download and (images_path is None or labels_path is None):
            urls = resolve_mirrors(mirrors, self.mirrors)
            for name, md5 in files:
                download_file(name, self.folder, md5, urls)
            images_path, labels_path = self._find(images_name), self._find(labels_name)
        if images_path is None or labels_path is None:
            urls = resolve_mirrors(mirrors, self.mirrors)
            raise missing_files_error(type(self).__name__, self.folder, [n for n, _ in files],
                                      [urls[0] + n for n, _ in files])
        images = read_idx(images_path, IMAGES_MAGIC)
        labels = read_idx(labels_path, LABELS_MAGIC)
        if len(images) != len(labels):
            raise ValueError(f"{type(self).__name__}: {images_path} holds {len(images)} "
                             f"images but {labels_path} holds {len(labels)} labels")
        if labels.size and labels.max() >= len(self.classes):
            raise ValueError(f"{type(self).__name__}: {labels_path} has label "
                             f"{labels.max()}, but there are {len(self.classes)} classes")
        self.data = images
        self.targets = labels.astype(np.int64)

    @property
    def folder(self):
        return self.root / type(self).__name__

    def _find(self, name):
        """The file for resource `name`, compressed or not, in folder/ or folder/raw/."""
        stem = name[:-3] if name.endswith(".gz") else name
        for folder in (self.folder, self.folder / "raw"):
            for candidate in (name, stem):
                if (folder / candidate).is_file():
                    return folder / candidate
        return None


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28×28 greyscale clothing images in 10 classes, MNIST's format."""

    mirrors = FASHION_MNIST_MIRRORS
    resources = FASHION_MNIST_RESOURCES
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
