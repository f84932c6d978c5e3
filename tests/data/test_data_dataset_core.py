"""Dataset, TensorDataset, Subset, ConcatDataset and random_split."""
import numpy as np
import pytest

import minicnn as mc
from minicnn.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split


def test_tensor_dataset_rows_from_arrays_and_tensors():
    x = np.arange(24, dtype=np.float32).reshape(6, 2, 2)
    y = mc.tensor([0, 1, 2, 3, 4, 5])
    ds = TensorDataset(x, y, [10, 11, 12, 13, 14, 15])
    assert len(ds) == 6
    a, b, c = ds[4]
    np.testing.assert_array_equal(a, x[4])
    assert isinstance(b, mc.Tensor) and b.shape == () and b.item() == 4
    assert c == 14
    np.testing.assert_array_equal(ds[-1][0], x[5])


@pytest.mark.parametrize("args, error, match", [
    ((np.zeros((3, 2)), np.zeros(4)), ValueError, r"\(3, 2\), \(4,\)"),
    ((np.zeros(3), mc.zeros(2)), ValueError, "same size"),
    ((np.float32(1),), ValueError, "0-dimensional"),
    ((), ValueError, "at least one"),
])
def test_tensor_dataset_rejects_mismatched_inputs(args, error, match):
    with pytest.raises(error, match=match):
        TensorDataset(*args)


@pytest.mark.parametrize("index, error", [(6, IndexError), (-7, IndexError), (1.0, TypeError)])
def test_tensor_dataset_index_errors(index, error):
    with pytest.raises(error):
        TensorDataset(np.zeros(6))[index]


def test_base_dataset_is_abstract_and_adds():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    a, b = TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 12))
    both = a + b
    assert isinstance(both, ConcatDataset) and len(both) == 5
    assert [int(both[i][0]) for i in range(5)] == [0, 1, 2, 10, 11]
    assert int(both[-1][0]) == 11
    with pytest.raises(IndexError):
        both[5]


def test_subset_maps_indices():
    ds = TensorDataset(np.arange(10) * 10)
    sub = Subset(ds, mc.tensor([7, 2, 2]))
    assert len(sub) == 3
    assert [int(sub[i][0]) for i in range(3)] == [70, 20, 20]
    with pytest.raises(IndexError):
        sub[3]
    with pytest.raises(TypeError):
        Subset(ds, [[1, 2]])


@pytest.mark.parametrize("n, lengths", [
    (10, [3, 7]),
    (10, [10, 0]),
    (11, [0.5, 0.3, 0.2]),
    (7, [0.34, 0.33, 0.33]),
    (5, [0.1, 0.9]),
    (100, [0.8, 0.1, 0.1]),
    (3, [1.0]),
])
def test_random_split_sizes_match_pytorch_and_are_disjoint(n, lengths):
    torch = pytest.importorskip("torch")
    parts = random_split(TensorDataset(np.arange(n)), lengths, seed=0)
    expected = [len(p) for p in torch.utils.data.random_split(range(n), lengths)]
    assert [len(p) for p in parts] == expected
    seen = [int(p[i][0]) for p in parts for i in range(len(p))]
    assert sorted(seen) == list(range(n))


def test_random_split_is_seeded():
    ds = TensorDataset(np.arange(50))
    a = [p.indices for p in random_split(ds, [20, 30], seed=3)]
    assert [p.indices for p in random_split(ds, [20, 30], generator=3)] == a
    assert [p.indices for p in random_split(ds, [20, 30],
                                            generator=np.random.default_rng(3))] == a
    assert [p.indices for p in random_split(ds, [20, 30], seed=4)] != a
    mc.manual_seed(1)
    b = [p.indices for p in random_split(ds, [20, 30])]
    mc.manual_seed(1)
    assert [p.indices for p in random_split(ds, [20, 30])] == b
    assert a[0] != sorted(a[0])


@pytest.mark.parametrize("lengths, error, match", [
    ([3, 3], ValueError, "sum to 6"),
    ([0.5, 0.6], ValueError, "sum to 1"),
    ([-1, 11], ValueError, "non-negative"),
    (["a"], TypeError, "numbers"),
    ([], ValueError, "empty"),
])
def test_random_split_errors(lengths, error, match):
    with pytest.raises(error, match=match):
        random_split(TensorDataset(np.arange(10)), lengths)
