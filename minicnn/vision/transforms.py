"""torchvision.transforms' names: the transforms of minicnn.data.transforms, and
`functional` under them (`import minicnn.vision.transforms.functional as TF` works too)."""
import sys as _sys

from ..data.transforms import (CenterCrop, ColorJitter, Compose, GaussianNoise, Lambda,
                               Normalize, Pad, PCAColorJitter, RandomCrop, RandomHorizontalFlip,
                               RandomResizedCrop, RandomRotation, RandomScale, Resize, ToTensor,
                               functional, rgb_pca)

_sys.modules.setdefault(__name__ + ".functional", functional)

__all__ = ["CenterCrop", "ColorJitter", "Compose", "GaussianNoise", "Lambda", "Normalize", "Pad",
           "PCAColorJitter", "RandomCrop", "RandomHorizontalFlip", "RandomResizedCrop",
           "RandomRotation", "RandomScale", "Resize", "ToTensor", "functional", "rgb_pca"]
