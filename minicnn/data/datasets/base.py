"""VisionDataset: what the image datasets share — `(image, label)` samples passed through
`transform` / `target_transform`, `len`, `class_to_idx` and the printed summary."""
from ..dataset import Dataset


class VisionDataset(Dataset):
    """Subclasses set `data`, `targets` and `classes` (or override `_load` and `__len__`)
    and may extend `_describe` with the lines their summary shows after the count."""

    def __init__(self, transform=None, target_transform=None):
        self.transform = transform
        self.target_transform = target_transform

    def _load(self, index):
        """The untransformed `(image, label)` at `index`."""
        return self.data[index], int(self.targets[index])

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image, target = self._load(index)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def _describe(self):
        return [f"Root location: {self.root}", f"Split: {'Train' if self.train else 'Test'}"]

    def __repr__(self):
        lines = [f"Number of datapoints: {len(self)}", *self._describe()]
        return f"Dataset {type(self).__name__}" + "".join(f"\n    {line}" for line in lines)
