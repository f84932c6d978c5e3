"""Model zoo: classic architectures assembled from minicnn.nn modules."""
from .lenet import LeNet5, lenet5

__all__ = ["LeNet5", "lenet5"]
