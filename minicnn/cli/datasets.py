"""The datasets `minicnn train` knows, with the preprocessing each one gets."""
import os

from ..data import transforms as T
from ..data.datasets import CIFAR10, MNIST, FashionMNIST, ImageFolder, MNISTSample

NAMES = ("sample", "mnist", "fashion-mnist", "cifar10")


def _digits(cls, mean, std, root, download):
    """28×28 grayscale digits padded to LeNet's 32×32; training images shift by up to
    2 pixels (random crops of the padded image), which keeps the small sample from being
    memorised."""
    norm = [T.ToTensor(), T.Normalize((mean,), (std,))]
    train_tf = T.Compose([T.Pad(2), T.RandomCrop(32, padding=2)] + norm)
    test_tf = T.Compose([T.Pad(2)] + norm)
    kwargs = {} if cls is MNISTSample else {"root": root, "download": download}
    return cls(train=True, transform=train_tf, **kwargs), cls(train=False, transform=test_tf,
                                                               **kwargs)


def _cifar10(root, download):
    norm = T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                          norm])
    test_tf = T.Compose([T.ToTensor(), norm])
    return (CIFAR10(root=root, train=True, transform=train_tf, download=download),
            CIFAR10(root=root, train=False, transform=test_tf, download=download))


def _folder(path, size):
    """An image folder with train/ and test/ (or val/) sub-folders of class folders."""
    test_dir = next((os.path.join(path, d) for d in ("test", "val")
                     if os.path.isdir(os.path.join(path, d))), None)
    if not os.path.isdir(os.path.join(path, "train")) or test_dir is None:
        raise FileNotFoundError(f"dataset folder {path} needs train/ and test/ (or val/) "
                                f"sub-folders, each with one folder per class")
    norm = T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    train_tf = T.Compose([T.RandomResizedCrop(size, scale=(0.5, 1.0)),
                          T.RandomHorizontalFlip(), T.ToTensor(), norm])
    test_tf = T.Compose([T.Resize(size), T.CenterCrop(size), T.ToTensor(), norm])
    return (ImageFolder(os.path.join(path, "train"), transform=train_tf),
            ImageFolder(test_dir, transform=test_tf))


def build(name, root=None, download=False, image_size=32):
    """(train set, test set, input channels, number of classes) for a dataset name or folder."""
    if name == "sample":
        return (*_digits(MNISTSample, 0.1307, 0.3081, root, download), 1, 10)
    if name == "mnist":
        return (*_digits(MNIST, 0.1307, 0.3081, root, download), 1, 10)
    if name == "fashion-mnist":
        return (*_digits(FashionMNIST, 0.2860, 0.3530, root, download), 1, 10)
    if name == "cifar10":
        return (*_cifar10(root, download), 3, 10)
    if os.path.isdir(name):
        train, test = _folder(name, image_size)
        return train, test, 3, len(train.classes)
    raise ValueError(f"train: unknown dataset {name!r}; use one of {NAMES} or a folder")
