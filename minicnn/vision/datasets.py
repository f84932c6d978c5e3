"""torchvision.datasets' names: the datasets of minicnn.data.datasets."""
from ..data.datasets import (CIFAR10, CIFAR100, FakeData, FashionMNIST, ImageFolder, MNIST,
                             MNISTSample)

__all__ = ["CIFAR10", "CIFAR100", "FakeData", "FashionMNIST", "ImageFolder", "MNIST",
           "MNISTSample"]
