"""MNISTSample: the 5,000 packaged MNIST digits, split 4,000 / 1,000, balanced."""
import numpy as np
import pytest

from minicnn.data import DataLoader
from minicnn.data import transforms as T
from minicnn.data.datasets import MNISTSample
from minicnn.data.datasets.sample import PACKAGED_FILE


@pytest.fixture(scope="module")
def splits():
    return MNISTSample(train=True), MNISTSample(train=False)


def test_packaged_file(splits):
    with np.load(PACKAGED_FILE) as f:
        assert f["images"].shape == (5000, 28, 28) and f["images"].dtype == np.uint8
        assert np.bincount(f["labels"]).tolist() == [500] * 10


@pytest.mark.parametrize("which, size, per_class", [(0, 4000, 400), (1, 1000, 100)])
def test_split_sizes_and_balance(splits, which, size, per_class):
    ds = splits[which]
    assert len(ds) == size and ds.data.shape == (size, 28, 28)
    assert np.bincount(ds.targets, minlength=10).tolist() == [per_class] * 10


def test_splits_are_disjoint_and_deterministic(splits):
    train, test = splits
    assert not set(train.indices) & set(test.indices)
    assert len(set(train.indices) | set(test.indices)) == 5000
    np.testing.assert_array_equal(MNISTSample(train=False).indices, test.indices)
    with np.load(PACKAGED_FILE) as f:
        labels = f["labels"]
    for c in range(10):  # the first 400 digits of each class in file order are train
        positions = np.flatnonzero(labels == c)
        np.testing.assert_array_equal(np.sort(train.indices[train.targets == c]),
                                      positions[:400])


def test_samples_look_like_mnist(splits):
    train, _ = splits
    image, label = train[123]
    assert image.shape == (28, 28) and image.dtype == np.uint8 and isinstance(label, int)
    # white digits on black: mostly-zero background, bright strokes, centred mass
    assert (train.data == 0).mean() > 0.7 and train.data.max() == 255
    mean = train.data.mean(axis=0)
    assert mean[10:18, 10:18].mean() > 3 * mean[:4].mean()


def test_transform_and_loader(splits):
    ds = MNISTSample(train=False, transform=T.Compose([T.ToTensor(), T.Normalize(0.1307, 0.3081)]),
                     target_transform=lambda y: -y)
    images, labels = next(iter(DataLoader(ds, batch_size=50, shuffle=True, seed=0)))
    assert images.shape == (50, 1, 28, 28) and images.dtype == np.float32
    assert labels.dtype == np.int64 and labels.numpy().max() <= 0


def test_root_override(tmp_path, splits):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10, dtype=np.uint8), 500)
    images = rng.integers(0, 256, (5000, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "mnist5k.npz", images=images, labels=labels)
    ds = MNISTSample(root=tmp_path, train=False)
    np.testing.assert_array_equal(ds.data, images[ds.indices])
    np.testing.assert_array_equal(np.sort(ds.indices)[:100], np.arange(400, 500))
    with pytest.raises(FileNotFoundError):
        MNISTSample(root=tmp_path / "nowhere")


@pytest.mark.parametrize("which", [0, 1])
def test_splits_come_shuffled_not_by_class(splits, which):
    """An unshuffled loader sees every class in its first batches, not one digit at a time."""
    targets = splits[which].targets
    assert len(np.unique(targets[:64])) == 10
    assert np.mean(targets[1:] == targets[:-1]) < 0.2
    np.testing.assert_array_equal(splits[which].data,
                                  MNISTSample(train=which == 0).data)  # a fixed order
