"""Datasets: MNIST, Fashion-MNIST, CIFAR-10/100, ImageFolder, the packaged MNISTSample, and
FakeData (random images)."""
from .cifar import CIFAR10, CIFAR100, RestrictedUnpickler
from .download import ChecksumError, DownloadError, default_root
from .fake import FakeData
from .folder import ImageFolder
from .mnist import MNIST, FashionMNIST, read_idx
from .sample import MNISTSample

__all__ = ["CIFAR10", "CIFAR100", "ChecksumError", "DownloadError", "FakeData", "FashionMNIST",
           "ImageFolder", "MNIST", "MNISTSample", "RestrictedUnpickler", "default_root",
           "read_idx"]
