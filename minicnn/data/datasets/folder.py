"""ImageFolder: images sorted into one sub-folder per class, read with Pillow."""
import os
from pathlib import Path

import numpy as np

from .base import VisionDataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def pil_loader(path):
    """The image at `path` as an H×W×3 uint8 RGB NumPy array."""
    from PIL import Image

    with Image.open(path) as image:
        return np.array(image.convert("RGB"))


class ImageFolder(VisionDataset):
    """A dataset laid out as `root/<class>/<...>/<image>`.

    `classes` are the sub-folder names sorted, `class_to_idx` maps them to labels,
    `samples` lists `(path, label)` sorted by class and then path, `targets` the labels.
    `dataset[i]` is `(loader(path), label)` after `transform` / `target_transform`;
    the default loader gives H×W×3 uint8 RGB arrays. Files are kept when their
    extension is in `extensions` (case-insensitive) or `is_valid_file(path)` is true.
    """

    class_to_idx = None  # a dict stored per instance, not VisionDataset's computed property

    def __init__(self, root, transform=None, target_transform=None, loader=pil_loader,
                 extensions=IMG_EXTENSIONS, is_valid_file=None):
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise FileNotFoundError(f"ImageFolder: {self.root} is not a folder")
        if is_valid_file is None:
            extensions = tuple(e.lower() for e in extensions)

            def is_valid_file(path):
                return str(path).lower().endswith(extensions)

        super().__init__(transform, target_transform)
        self.loader = loader
        self.classes = sorted(e.name for e in os.scandir(self.root) if e.is_dir())
        if not self.classes:
            raise FileNotFoundError(f"ImageFolder: no class sub-folders in {self.root}")
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.samples = []
        empty = []
        for c in self.classes:
            found = []
            for folder, dirs, files in os.walk(self.root / c, followlinks=True):
                dirs.sort()
                found.extend(os.path.join(folder, f) for f in sorted(files)
                             if is_valid_file(os.path.join(folder, f)))
            if not found:
                empty.append(c)
            self.samples.extend((path, self.class_to_idx[c]) for path in sorted(found))
        if empty:
            raise FileNotFoundError(f"ImageFolder: no valid image files for the classes "
                                    f"{empty} in {self.root} (extensions: {extensions})")
        self.targets = [label for _, label in self.samples]
        self.imgs = self.samples

    def __len__(self):
        return len(self.samples)

    def _load(self, index):
        path, target = self.samples[index]
        return self.loader(path), target

    def _describe(self):
        return [f"Root location: {self.root}", f"Classes: {len(self.classes)}"]
