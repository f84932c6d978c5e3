"""Data loading: datasets, transforms and the DataLoader (like torch.utils.data and
torchvision's datasets/transforms, on NumPy images).

    from minicnn.data import DataLoader, datasets, transforms as T
    train = datasets.MNISTSample(train=True, transform=T.Compose([T.ToTensor(),
                                                                  T.Normalize(0.1307, 0.3081)]))
    for images, labels in DataLoader(train, batch_size=64, shuffle=True, seed=0):
        ...  # images: Tensor (64, 1, 28, 28) float32, labels: Tensor (64,) int64
"""
from . import datasets, transforms
from .dataloader import DataLoader, default_collate
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .datasets.digit_captions import DigitCaptions
from .distributed_sampler import DistributedSampler
from .tonics_sampler import TOnICSBatchSampler

__all__ = ["ConcatDataset", "DataLoader", "Dataset", "DigitCaptions", "DistributedSampler",
           "Subset", "TOnICSBatchSampler", "TensorDataset", "datasets", "default_collate",
           "random_split", "transforms"]
