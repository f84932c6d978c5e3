"""DistributedSampler: each process's share of a dataset's indices, as
torch.utils.data.DistributedSampler partitions them."""
import math
import numbers

import numpy as np

from .. import distributed

NAME = "DistributedSampler"


def _from_group(value, name, getter):
    if value is not None:
        return value
    if not distributed.is_initialized():
        raise RuntimeError(f"{NAME}: {name} is None and the default process group is not "
                           f"initialized; pass {name} or call "
                           f"mc.distributed.init_process_group() first")
    return getter()


def _integer(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{NAME}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class DistributedSampler:
    """The indices of `dataset` that replica `rank` of `num_replicas` trains on.

    Every epoch the indices are shuffled (shuffle=True) with a seed of `seed + epoch`, the
    same on every replica (call `set_epoch(epoch)` before each epoch; `fit` does); then
    they are padded by repeating the first ones until they divide evenly (or, with
    drop_last, the tail that does not divide is dropped), and replica r takes every
    num_replicas-th index from position r. The replicas' shares are disjoint (apart from
    the padding) and together cover the dataset. num_replicas and rank default to the
    default process group's world size and rank.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        num_replicas = _integer("num_replicas", _from_group(
            num_replicas, "num_replicas", distributed.get_world_size), 1)
        rank = _integer("rank", _from_group(rank, "rank", distributed.get_rank), 0)
        if rank >= num_replicas:
            raise ValueError(f"{NAME}: rank must be in [0, {num_replicas - 1}] (num_replicas "
                             f"{num_replicas}), got {rank}")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.shuffle = bool(shuffle)
        self.seed = _integer("seed", seed, 0)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch):
        """Shuffle differently in each epoch (the seed is seed + epoch)."""
        self.epoch = _integer("epoch", epoch, 0)

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            indices = np.arange(n)
        if self.drop_last:
            indices = indices[:self.total_size]
        elif self.total_size > n:
            indices = np.resize(indices, self.total_size)   # repeats from the start
        return iter(indices[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples
