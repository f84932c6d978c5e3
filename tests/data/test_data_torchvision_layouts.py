"""A data folder that torchvision filled serves minicnn's datasets as it is: MNIST's
`raw/` IDX files, CIFAR-10's extracted `cifar-10-batches-py/`, with `download=True`
fetching nothing more; and FakeData, torchvision's random dataset."""
import numpy as np
import pytest
from data_helpers import cifar10_files, mnist_arrays, server, write_file, write_mnist  # noqa: F401
from data_helpers import offline_data_dirs  # noqa: F401  (fixture)

import minicnn as mc
from minicnn.data import DataLoader
from minicnn.data import transforms as T
from minicnn.data.datasets import CIFAR10, MNIST, FakeData, FashionMNIST


def torchvision_mnist_folder(root, cls_name, gz):
    """`root/<cls_name>/raw/` as torchvision leaves it: the extracted IDX files (and, after
    its own download, the .gz archives beside them)."""
    arrays = {}
    for train, seed in ((True, 0), (False, 1)):
        images, labels = mnist_arrays(6 if train else 4, seed)
        arrays[train] = images, labels
        write_mnist(root / cls_name / "raw", train, images, labels, gz=False)
        if gz:
            write_mnist(root / cls_name / "raw", train, images, labels, gz=True)
    return arrays


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_torchvision_raw_folder_and_does_not_download_again(tmp_path, server, cls,
                                                                         gz):
    arrays = torchvision_mnist_folder(tmp_path, cls.__name__, gz)
    for train in (True, False):
        ds = cls(tmp_path, train=train, download=True, mirrors=[server.url])
        np.testing.assert_array_equal(ds.data, arrays[train][0])
        np.testing.assert_array_equal(ds.targets, arrays[train][1])
    assert server.requests == []
    assert sorted(p.name for p in (tmp_path / cls.__name__).iterdir()) == ["raw"]


def test_mnist_matches_torchvision_on_the_same_folder(tmp_path):
    datasets = pytest.importorskip("torchvision.datasets")
    torchvision_mnist_folder(tmp_path, "MNIST", gz=False)
    theirs = datasets.MNIST(str(tmp_path), train=True, download=False)
    ours = MNIST(tmp_path, train=True)
    np.testing.assert_array_equal(ours.data, theirs.data.numpy())
    np.testing.assert_array_equal(ours.targets, theirs.targets.numpy())
    to_tensor = pytest.importorskip("torchvision.transforms").ToTensor()
    for i in range(len(ours)):
        image, label = ours[i]
        expected, expected_label = theirs[i]
        np.testing.assert_allclose(T.ToTensor()(image).numpy(), to_tensor(expected).numpy())
        assert label == expected_label


def test_cifar10_extracted_folder_needs_no_download(tmp_path, server):
    batches, files = cifar10_files()
    for name, data in files.items():
        write_file(tmp_path / "cifar-10-batches-py" / name, data)
    ds = CIFAR10(tmp_path, train=True, download=True, mirrors=[server.url])
    assert len(ds) == sum(len(batches[f"data_batch_{i}"]["labels"]) for i in range(1, 6))
    assert server.requests == []


def test_fake_data_is_deterministic_and_shaped_as_torchvision():
    ds = FakeData(size=20, image_size=(3, 8, 6), num_classes=4, transform=T.ToTensor())
    image, label = ds[3]
    assert isinstance(image, mc.Tensor) and image.shape == (3, 8, 6)
    assert image.dtype == mc.float32 and 0 <= label < 4 and isinstance(label, int)
    np.testing.assert_array_equal(image.numpy(), ds[3][0].numpy())
    assert not np.array_equal(image.numpy(), ds[4][0].numpy())
    shifted = FakeData(size=20, image_size=(3, 8, 6), num_classes=4, random_offset=1)
    np.testing.assert_array_equal(shifted[3][0], FakeData(20, (3, 8, 6), 4)[4][0])
    assert len({ds[i][1] for i in range(20)}) > 1
    gray = FakeData(size=2, image_size=(1, 5, 5), transform=T.ToTensor())
    assert gray[0][0].shape == (1, 5, 5)
    images, labels = next(iter(DataLoader(ds, batch_size=8)))
    assert images.shape == (8, 3, 8, 6) and labels.dtype == mc.int64
    with pytest.raises(IndexError, match="FakeData: index 20 is out of range for 20 samples"):
        ds[20]
    torchvision_datasets = pytest.importorskip("torchvision.datasets")
    to_tensor = pytest.importorskip("torchvision.transforms").ToTensor()
    theirs = torchvision_datasets.FakeData(size=20, image_size=(3, 8, 6), num_classes=4,
                                           transform=to_tensor)
    assert len(theirs) == len(ds) and tuple(theirs[3][0].shape) == tuple(image.shape)


@pytest.mark.parametrize("kwargs, message", [
    (dict(size=-1), "FakeData: size must be a non-negative integer"),
    (dict(image_size=(3, 8)), r"FakeData: image_size must be \(channels, height, width\)"),
    (dict(num_classes=0), "FakeData: num_classes must be a positive integer"),
])
def test_fake_data_checks_its_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FakeData(**kwargs)
