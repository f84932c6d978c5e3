"""DistributedSampler partitions a dataset as torch.utils.data.DistributedSampler does: each
replica's share, padding by repetition (or dropping the tail), disjoint shares that cover
the dataset, a new order per epoch that all replicas agree on."""
import numpy as np
import pytest

import minicnn as mc
from minicnn.data import DistributedSampler

CASES = [(n, replicas, drop_last) for n in (0, 1, 5, 10, 11, 17) for replicas in (1, 2, 3, 4)
         for drop_last in (False, True)]


def shares(n, replicas, **kwargs):
    return [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, **kwargs))
            for r in range(replicas)]


@pytest.mark.parametrize("n, replicas, drop_last", CASES)
def test_partition_equals_pytorchs(n, replicas, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for rank in range(replicas):
        ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False,
                                  drop_last=drop_last)
        theirs = torch_data.DistributedSampler(range(n), num_replicas=replicas, rank=rank,
                                               shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


@pytest.mark.parametrize("n, replicas, drop_last", CASES)
def test_shuffled_shares_are_disjoint_and_cover_the_dataset(n, replicas, drop_last):
    parts = shares(n, replicas, shuffle=True, seed=3, drop_last=drop_last)
    assert len({len(p) for p in parts}) == 1
    flat = [i for p in parts for i in p]
    if drop_last:
        assert len(set(flat)) == len(flat) == n - n % replicas
    else:
        assert set(flat) == set(range(n))
        assert len(flat) - n == (-n) % replicas            # only the padding repeats


def test_each_epoch_has_its_own_order_the_same_on_every_replica():
    sampler = DistributedSampler(range(50), num_replicas=2, rank=0, seed=7)
    first = list(sampler)
    assert list(sampler) == first
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first
    other = DistributedSampler(range(50), num_replicas=2, rank=1, seed=7)
    other.set_epoch(1)
    assert sorted(second + list(other)) == list(range(50))


def test_sampler_drives_a_dataloader():
    data = mc.data.TensorDataset(mc.arange(10))
    loaders = [mc.data.DataLoader(data, batch_size=2, sampler=DistributedSampler(
        data, num_replicas=2, rank=r, shuffle=False)) for r in range(2)]
    seen = [np.concatenate([b[0].numpy() for b in loader]).tolist() for loader in loaders]
    assert seen == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]


@pytest.mark.parametrize("kwargs, message", [
    ({"num_replicas": 2, "rank": 2}, r"rank must be in \[0, 1\] \(num_replicas 2\), got 2"),
    ({"num_replicas": 0, "rank": 0}, "num_replicas must be an integer >= 1, got 0"),
    ({"num_replicas": 2, "rank": -1}, "rank must be an integer >= 0, got -1"),
    ({"num_replicas": 2, "rank": 0, "seed": 1.5}, "seed must be an integer >= 0, got 1.5"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match="DistributedSampler: " + message):
        DistributedSampler(range(4), **kwargs)
