"""Map-style datasets: the Dataset protocol, TensorDataset, Subset, ConcatDataset, random_split."""
import bisect
import math

import numpy as np

from ..tensor import Tensor
from .rng import as_generator


class Dataset:
    """A map-style dataset: `dataset[i]` is the i-th sample, `len(dataset)` the count.

    Subclasses implement `__getitem__` and `__len__`; `a + b` concatenates.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


def _check_index(index, length, name):
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"{name}: index must be an integer, got {type(index).__name__}")
    index = int(index)
    if not -length <= index < length:
        raise IndexError(f"{name}: index {index} is out of range for {length} samples")
    return index + length if index < 0 else index


class TensorDataset(Dataset):
    """Samples are the rows of equally long tensors or arrays: `ds[i] = (t[i] for t in tensors)`.

    NumPy arrays (and lists, converted to arrays) give NumPy rows, minicnn Tensors give
    Tensor rows (detached). The default collate turns either into batched Tensors.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor or array")
        arrays = []
        for i, t in enumerate(tensors):
            if not isinstance(t, (Tensor, np.ndarray)):
                t = np.asarray(t)
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is 0-dimensional; every "
                                 f"argument needs a first (sample) dimension")
            arrays.append(t)
        sizes = [t.shape[0] for t in arrays]
        if len(set(sizes)) != 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in arrays)
            raise ValueError(f"TensorDataset: all arguments must have the same size in the "
                             f"first dimension, got shapes {shapes}")
        self.tensors = tuple(arrays)

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        index = _check_index(index, len(self), "TensorDataset")
        return tuple(Tensor._make(t._data[index, ...]) if isinstance(t, Tensor) else t[index]
                     for t in self.tensors)

    def _collated_batch(self, indices):
        """The batch the default collate would build from these samples, in one gather."""
        indices = np.asarray(indices, dtype=np.int64)
        return tuple(Tensor._make(t._data[indices]) if isinstance(t, Tensor)
                     else Tensor._make(np.ascontiguousarray(t[indices])) for t in self.tensors)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        if isinstance(indices, Tensor):
            indices = indices.tolist()
        indices = np.asarray(indices)
        if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
            raise TypeError(f"Subset: indices must be a 1-D sequence of integers, got an "
                            f"array of shape {indices.shape} and dtype {indices.dtype}")
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[_check_index(index, len(self), "Subset")]]


class ConcatDataset(Dataset):
    """Several datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: needs at least one dataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]))

    def __len__(self):
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, index):
        index = _check_index(index, len(self), "ConcatDataset")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - int(start)]


def batch_gatherer(dataset):
    """A function `indices -> batch` equal to default-collating `dataset[i] for i in indices`,
    for datasets that can gather a whole batch at once (a TensorDataset and Subsets of one);
    None for any other dataset."""
    if type(dataset).__getitem__ is TensorDataset.__getitem__:
        return dataset._collated_batch
    if type(dataset).__getitem__ is Subset.__getitem__:
        inner = batch_gatherer(dataset.dataset)
        if inner is not None:
            positions = np.asarray(dataset.indices, dtype=np.int64)
            return lambda indices: inner(positions[np.asarray(indices, dtype=np.int64)])
    return None


def _split_lengths(lengths, n):
    """Integer lengths from ints or fractions (PyTorch's rule for fractions: floor each,
    then hand the remainder out one by one from the first split)."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: `lengths` is empty")
    if any(isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating))
           for x in lengths):
        raise TypeError(f"random_split: lengths must be numbers, got {lengths}")
    if any(x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative, got {lengths}")
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        return counts
    if not all(float(x).is_integer() for x in lengths):
        raise ValueError(f"random_split: fractions must sum to 1, got {lengths} "
                         f"(sum {sum(lengths)})")
    counts = [int(x) for x in lengths]
    if sum(counts) != n:
        raise ValueError(f"random_split: the lengths {counts} sum to {sum(counts)} but the "
                         f"dataset has {n} samples")
    return counts


def random_split(dataset, lengths, generator=None, seed=None):
    """Split `dataset` into non-overlapping random Subsets of the given lengths.

    `lengths` are sample counts summing to `len(dataset)`, or fractions summing to 1.
    The permutation comes from `generator` (a numpy Generator or an int seed), `seed`,
    or minicnn's generator (reproducible after `mc.manual_seed`).
    """
    counts = _split_lengths(lengths, len(dataset))
    permutation = as_generator(generator, seed).permutation(len(dataset))
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, permutation[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]
