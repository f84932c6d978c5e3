"""The datasets `minicnn train` knows, and the preprocessing that fits them to a model.

Every dataset yields images of a base side (32: digits are padded from 28, CIFAR-10 is 32,
an image folder is resized and centre-cropped to 32) unless a larger side is asked for (the
model's minimum input or --image-size), then resized to it; grayscale images are repeated
into three channels for a model that takes three. With augmentation (the dataset's usual
one), training images shift and flip as written below; test images never do.
"""
import difflib
import itertools
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..data import transforms as T
from ..data.datasets import CIFAR10, MNIST, FashionMNIST, ImageFolder, MNISTSample
from ..data.datasets.sample import PACKAGED_FILE
from .errors import UsageError, dataset_input

NAMES = ("sample", "mnist", "fashion-mnist", "cifar10")
BASE_SIZE = 32
FOLDER_HELP = "a folder with train/ and test/ (or val/) sub-folders, one folder per class"


@dataclass(frozen=True)
class Source:
    """A dataset as the command uses it: `name` as typed (or the folder), where its images
    are, their classes, channels and stored side (None: any), and the normalisation."""
    name: str
    kind: str
    location: str
    classes: tuple
    channels: int
    stored_size: int
    mean: tuple
    std: tuple

    def record(self):
        """The data source as run.json keeps it."""
        return {"dataset": self.name, "kind": self.kind, "location": self.location,
                "classes": list(self.classes), "channels": self.channels,
                "stored_size": self.stored_size, "mean": list(self.mean),
                "std": list(self.std)}

    @classmethod
    def from_record(cls, record):
        """The Source that `record()` described."""
        return cls(record["dataset"], record["kind"], record["location"],
                   tuple(record["classes"]), record["channels"], record["stored_size"],
                   tuple(record["mean"]), tuple(record["std"]))


def _folder_split(path):
    """(train folder, test folder) of an image-folder dataset, or a UsageError."""
    test_dir = next((os.path.join(path, d) for d in ("test", "val")
                     if os.path.isdir(os.path.join(path, d))), None)
    if not os.path.isdir(os.path.join(path, "train")) or test_dir is None:
        raise UsageError(f"--dataset {path}: the folder needs train/ and test/ (or val/) "
                         f"sub-folders, each with one folder per class")
    return os.path.join(path, "train"), test_dir


def _unknown(name):
    close = difflib.get_close_matches(name.lower(), NAMES, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return UsageError(f"--dataset {name}: unknown dataset and no such folder; {hint}use one "
                      f"of {', '.join(NAMES)}, or {FOLDER_HELP}")


def open_dataset(name, root=None, download=False):
    """(Source, train set, test set) for a dataset name or folder, without transforms."""
    with dataset_input(name):
        if name in ("sample", "mnist", "fashion-mnist"):
            cls, kwargs = {"sample": (MNISTSample, {}),
                           "mnist": (MNIST, {"root": root, "download": download}),
                           "fashion-mnist": (FashionMNIST, {"root": root,
                                                            "download": download})}[name]
            train, test = cls(train=True, **kwargs), cls(train=False, **kwargs)
            stats = ((0.2860,), (0.3530,)) if name == "fashion-mnist" else \
                ((0.1307,), (0.3081,))
            location = str(PACKAGED_FILE) if name == "sample" else str(train.folder)
            return Source(name, "digits", location, tuple(train.classes), 1, 28,
                          *stats), train, test
        if name == "cifar10":
            train = CIFAR10(root=root, train=True, download=download)
            test = CIFAR10(root=root, train=False, download=download)
            return Source(name, "cifar10", str(train.root), tuple(train.classes), 3, 32,
                          (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)), train, test
    if not os.path.isdir(name):
        raise _unknown(name)
    train_dir, test_dir = _folder_split(name)
    try:    # a split without class folders or images is the user's to fix
        train, test = ImageFolder(train_dir), ImageFolder(test_dir)
    except FileNotFoundError as error:
        raise UsageError(f"--dataset {name}: {error}") from None
    if train.classes != test.classes:
        raise UsageError(f"--dataset {name}: train/ and {os.path.basename(test_dir)}/ hold "
                         f"different classes ({train.classes} and {test.classes})")
    return Source(name, "folder", os.path.abspath(name), tuple(train.classes), 3, None,
                  (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)), train, test


def run_dataset(record):
    """The --dataset value that opens a run's data again (a folder by its absolute path)."""
    return record["location"] if record["kind"] == "folder" else record["dataset"]


def three_channels(x):
    """A 1×H×W tensor repeated into 3×H×W."""
    return x.repeat(3, 1, 1)


def transform(source, train, augment, size, channels):
    """The preprocessing of `source`'s images for a model that takes `channels` × size ×
    size inputs: the dataset's geometry (with its augmentation for training), resize,
    ToTensor, Normalize and, for a 3-channel model on grayscale data, channel repetition."""
    augment = augment and train
    if source.kind == "digits":     # 28×28, padded to 32; augmented by shifts of ≤ 2 pixels
        steps = [T.Pad(2)] + ([T.RandomCrop(BASE_SIZE, padding=2)] if augment else [])
    elif source.kind == "cifar10":  # 32×32; augmented by 4-pixel-padded crops and flips
        steps = [T.RandomCrop(BASE_SIZE, padding=4), T.RandomHorizontalFlip()] \
            if augment else []
    elif augment:                   # any size; augmented by random resized crops and flips
        steps = [T.RandomResizedCrop(size, scale=(0.5, 1.0)), T.RandomHorizontalFlip()]
    else:
        steps = [T.Resize(size), T.CenterCrop(size)]
    if source.kind != "folder" and size != BASE_SIZE:
        steps.append(T.Resize((size, size)))
    return T.Compose(steps + tensor_steps(source, channels))


def tensor_steps(source, channels, colour=()):
    """The steps from a sized image to the model's input: ToTensor, the `colour` transforms
    (on [0, 1] values), Normalize and, for a 3-channel model on grayscale data, channel
    repetition."""
    steps = [T.ToTensor(), *colour, T.Normalize(source.mean, source.std)]
    if channels == 3 and source.channels == 1:
        steps.append(T.Lambda(three_channels))
    return steps


def read_image(path, source):
    """The image file at `path` as the dataset stores its images (grayscale or RGB, at the
    stored side), ready for `transform`; an unreadable file is a UsageError. Digits are
    light on dark, as in MNIST: a digit image with a light border (dark ink on paper) is
    inverted."""
    try:
        with Image.open(path) as image:
            image = image.convert("L" if source.channels == 1 else "RGB")
            if source.stored_size is not None:
                image = image.resize((source.stored_size, source.stored_size),
                                     Image.BILINEAR)
            pixels = np.asarray(image)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError) as error:
        raise UsageError(f"{path}: not an image that can be read ({error})") from None
    if source.kind == "digits" and _border_mean(pixels) > 127:
        pixels = 255 - pixels
    return pixels


def _border_mean(pixels):
    """The mean of the outermost rows and columns of an H×W image."""
    return float(np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]]).mean())


class FirstBatches:
    """The first `count` batches of `loader` (all of them when count is None)."""

    def __init__(self, loader, count):
        self.loader, self.count = loader, count

    def __len__(self):
        return len(self.loader) if self.count is None else min(self.count, len(self.loader))

    def __iter__(self):
        return itertools.islice(iter(self.loader), len(self))
