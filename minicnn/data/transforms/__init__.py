"""Image transforms on NumPy arrays, in the style of torchvision.transforms: the classes
(transforms.py), and under them the same operations as functions of an image and explicit
parameters (`from minicnn.data.transforms import functional as TF`)."""
from . import functional
from .pca_color import PCAColorJitter, rgb_pca
from .transforms import (CenterCrop, ColorJitter, Compose, GaussianNoise, Lambda, Normalize, Pad,
                         RandomCrop, RandomHorizontalFlip, RandomResizedCrop, RandomRotation,
                         RandomScale, Resize, ToTensor)

__all__ = ["CenterCrop", "ColorJitter", "Compose", "GaussianNoise", "Lambda", "Normalize", "Pad",
           "PCAColorJitter", "RandomCrop", "RandomHorizontalFlip", "RandomResizedCrop",
           "RandomRotation", "RandomScale", "Resize", "ToTensor", "functional", "rgb_pca"]
