"""FakeData: random images with random labels, made on demand, for trying a pipeline without
a dataset on disk (torchvision.datasets.FakeData's arguments)."""
import numbers

import numpy as np

from .base import VisionDataset


class FakeData(VisionDataset):
    """`size` random `image_size` = (C, H, W) images in `num_classes` classes.

    Sample i is always the same: its image (uint8, H×W×C, or H×W for one channel, as the
    other datasets give images) and its label are drawn from a generator seeded with
    i + `random_offset`. The values differ from torchvision's, which come from PyTorch's
    generator.
    """

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(transform, target_transform)
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 0:
            raise ValueError(f"FakeData: size must be a non-negative integer, got {size!r}")
        if not (isinstance(image_size, (tuple, list)) and len(image_size) == 3
                and all(isinstance(s, numbers.Integral) and s > 0 for s in image_size)):
            raise ValueError(f"FakeData: image_size must be (channels, height, width) of "
                             f"positive integers, got {image_size!r}")
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) \
                or num_classes < 1:
            raise ValueError(f"FakeData: num_classes must be a positive integer, got "
                             f"{num_classes!r}")
        self.size = int(size)
        self.image_size = tuple(int(s) for s in image_size)
        self.num_classes = int(num_classes)
        self.random_offset = int(random_offset)
        self.classes = [str(c) for c in range(self.num_classes)]

    def __len__(self):
        return self.size

    def _load(self, index):
        if not -self.size <= index < self.size:
            raise IndexError(f"FakeData: index {index} is out of range for {self.size} samples")
        rng = np.random.default_rng(index % self.size + self.random_offset)
        channels, height, width = self.image_size
        label = int(rng.integers(0, self.num_classes))
        image = rng.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
        return (image[:, :, 0] if channels == 1 else image), label

    def _describe(self):
        return [f"Image size: {self.image_size}", f"Classes: {self.num_classes}"]
