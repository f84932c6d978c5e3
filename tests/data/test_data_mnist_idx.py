"""MNIST / Fashion-MNIST from IDX files the tests write (gzip and raw), and their errors."""
import numpy as np
import pytest
from data_helpers import idx_bytes, mnist_arrays, write_file, write_mnist
from data_helpers import offline_data_dirs  # noqa: F401  (autouse fixture)

from minicnn.data import transforms as T
from minicnn.data.datasets import MNIST, FashionMNIST, read_idx


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, ">i2", ">i4", ">f4", ">f8"])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, dtype, gz):
    offset = 0 if np.dtype(dtype).kind == "u" else -5  # negative values where signed
    array = (np.arange(24).reshape(2, 3, 4) + offset).astype(dtype)
    path = write_file(tmp_path / "x.idx", idx_bytes(array, dtype), gz=gz)
    out = read_idx(path)
    assert out.shape == (2, 3, 4) and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


@pytest.mark.parametrize("cls, folder", [(MNIST, "MNIST"), (FashionMNIST, "FashionMNIST")])
@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("raw_subfolder", [False, True])
def test_mnist_reads_idx_files(tmp_path, cls, folder, gz, train, raw_subfolder):
    images, labels = mnist_arrays(7, seed=int(train))
    where = tmp_path / folder / ("raw" if raw_subfolder else "")
    write_mnist(where, train, images, labels, gz=gz)
    ds = cls(root=tmp_path, train=train)
    assert len(ds) == 7
    np.testing.assert_array_equal(ds.data, images)
    assert ds.targets.dtype == np.int64
    image, label = ds[3]
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert isinstance(label, int) and label == labels[3]
    np.testing.assert_array_equal(image, images[3])
    assert len(ds.classes) == 10 and ds.class_to_idx[ds.classes[4]] == 4
    assert ("Train" if train else "Test") in repr(ds)


def test_mnist_transforms_apply(tmp_path):
    images, labels = mnist_arrays(4)
    write_mnist(tmp_path / "MNIST", True, images, labels)
    ds = MNIST(tmp_path, transform=T.ToTensor(), target_transform=lambda y: y + 100)
    image, label = ds[1]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32
    assert label == labels[1] + 100


def test_default_root_comes_from_the_environment(tmp_path, monkeypatch):
    images, labels = mnist_arrays(3)
    write_mnist(tmp_path / "elsewhere" / "MNIST", True, images, labels)
    monkeypatch.setenv("MINICNN_DATA", str(tmp_path / "elsewhere"))
    assert len(MNIST()) == 3


def corrupt(kind, images, labels):
    """(images file bytes, labels file bytes) with one defect; `match` the expected error."""
    img, lab = idx_bytes(images), idx_bytes(labels)
    return {
        "swapped": (lab, img, "magic number 2049"),
        "truncated": (img[:-5], lab, "holds"),
        "trailing": (img + b"\0", lab, "holds"),
        "not idx": (b"PK\x03\x04" + img[4:], lab, "not an IDX file"),
        "bad type code": (img[:2] + b"\x07" + img[3:], lab, "magic number"),
        "count mismatch": (img, idx_bytes(labels[:-1]), "4 images but"),
        "empty": (b"", lab, "not an IDX file"),
        "label out of range": (img, idx_bytes(np.array([1, 2, 3, 12], np.uint8)), "label 12"),
    }[kind]


@pytest.mark.parametrize("kind", ["swapped", "truncated", "trailing", "not idx", "bad type code",
                                  "count mismatch", "empty", "label out of range"])
def test_mnist_rejects_bad_files_clearly(tmp_path, kind):
    images, labels = mnist_arrays(4)
    img, lab, match = corrupt(kind, images, labels)
    write_file(tmp_path / "MNIST" / "train-images-idx3-ubyte", img)
    write_file(tmp_path / "MNIST" / "train-labels-idx1-ubyte", lab)
    with pytest.raises(ValueError, match=match):
        MNIST(tmp_path)


def test_corrupt_gzip_is_reported(tmp_path):
    images, labels = mnist_arrays(2)
    write_mnist(tmp_path / "MNIST", True, images, labels)
    path = tmp_path / "MNIST" / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(ValueError, match="corrupt gzip"):
        MNIST(tmp_path)


@pytest.mark.parametrize("cls, url", [
    (MNIST, "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz"),
    (FashionMNIST, "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
                   "t10k-labels-idx1-ubyte.gz"),
])
def test_missing_files_say_where_and_how(tmp_path, monkeypatch, cls, url):
    monkeypatch.delenv("MINICNN_DATA_MIRROR")
    with pytest.raises(FileNotFoundError) as info:
        cls(root=tmp_path, train=False)
    message = str(info.value)
    assert str(tmp_path / cls.__name__ / "t10k-images-idx3-ubyte.gz") in message
    assert "download=True" in message
    assert url in message
