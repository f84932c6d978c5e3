"""`minicnn.utils.data`: the names of torch.utils.data, so that
`from minicnn.utils.data import DataLoader, Dataset, TensorDataset, random_split, Subset`
and `mc.utils.data.DataLoader` work as they do with torch. They live in minicnn.data."""
from ..data import (ConcatDataset, DataLoader, Dataset, DistributedSampler, Subset,
                    TensorDataset, default_collate, random_split)

__all__ = ["ConcatDataset", "DataLoader", "Dataset", "DistributedSampler", "Subset",
           "TensorDataset", "default_collate", "random_split"]
