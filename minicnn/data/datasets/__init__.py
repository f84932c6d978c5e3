"""Datasets: MNIST, Fashion-MNIST, CIFAR-10/100, ImageFolder, and the packaged MNISTSample."""
from .cifar import CIFAR10, CIFAR100, RestrictedUnpickler
from .download import ChecksumError, DownloadError, default_root
from .folder import ImageFolder
from .mnist import MNIST, FashionMNIST, read_idx
from .sample import MNISTSample

__all__ = ["CIFAR10", "CIFAR100", "ChecksumError", "DownloadError", "FashionMNIST",
           "ImageFolder", "MNIST", "MNISTSample", "RestrictedUnpickler", "default_root",
           "read_idx"]
