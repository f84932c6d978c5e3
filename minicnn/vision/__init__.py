"""`minicnn.vision`: torchvision's namespace over minicnn, so that

    from minicnn.vision import datasets, transforms, models, utils

reads as `from torchvision import ...` does: `datasets.MNIST/FashionMNIST/CIFAR10/ImageFolder/
FakeData` (which read torchvision's folders), `transforms.*`, `models.resnet18(weights=None)`
and the rest of the zoo, `utils.make_grid` and `utils.save_image`. The datasets, transforms
and models live in minicnn.data and minicnn.models; this package only names them.
"""
from . import datasets, models, transforms, utils

__all__ = ["datasets", "models", "transforms", "utils"]
