"""`minicnn train` on each kind of dataset — the bundled sample, MNIST, Fashion-MNIST, CIFAR-10
(small stand-in files in their real formats) and an image folder — and the preprocessing
that fits each to a model: channels repeated, images resized, augmentation for training."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from minicnn.cli import datasets

from cli_helpers import image_folder, minicnn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from data_helpers import cifar10_files, mnist_arrays, write_mnist  # noqa: E402


def _mnist_root(root, folder):
    for train, n in ((True, 8), (False, 4)):
        write_mnist(Path(root) / folder, train, *mnist_arrays(n, seed=int(train)))
    return Path(root)


def _cifar_root(root):
    _, files = cifar10_files("py2")
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return Path(root)


@pytest.fixture
def roots(tmp_path):
    return {"mnist": _mnist_root(tmp_path / "data", "MNIST"),
            "fashion-mnist": _mnist_root(tmp_path / "data", "FashionMNIST"),
            "cifar10": _cifar_root(tmp_path / "data"),
            "folder": image_folder(tmp_path / "folder", side=20)}


@pytest.mark.parametrize("name, model, inputs", [("mnist", "lenet5", [1, 32, 32]),
                                                ("fashion-mnist", "lenet5", [1, 32, 32]),
                                                ("cifar10", "lenet5", [3, 32, 32]),
                                                ("folder", "resnet18", [3, 32, 32])])
def test_train_on_each_kind_of_dataset(name, model, inputs, roots, tmp_path):
    dataset = roots["folder"] if name == "folder" else name
    out = tmp_path / "run"
    proc = minicnn("train", model, "--dataset", dataset, "--data-root", roots["mnist"],
                   "--max-steps", "1", "--batch-size", "2", "--workers", "0", "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    record = json.loads((out / "run.json").read_text())
    assert record["input_size"] == inputs
    assert Path(record["data"]["location"]).exists()
    assert record["num_classes"] == (2 if name == "folder" else 10)


@pytest.mark.parametrize("name, channels, size", [("sample", 3, 63), ("sample", 1, 32),
                                                  ("cifar10", 3, 48), ("folder", 3, 40)])
@pytest.mark.parametrize("train", [True, False])
def test_the_preprocessing_fits_the_model(name, channels, size, train, roots):
    dataset = str(roots["folder"]) if name == "folder" else name
    source, train_set, test_set = datasets.open_dataset(dataset, roots["mnist"])
    split = train_set if train else test_set
    split.transform = datasets.transform(source, train, True, size, channels)
    image, label = split[0]
    assert image.shape == (channels, size, size) and image.dtype == np.float32
    if name == "sample" and channels == 3:
        assert np.array_equal(image[0], image[2])


def test_test_images_are_never_augmented(roots):
    source, _, test_set = datasets.open_dataset("cifar10", roots["mnist"])
    test_set.transform = datasets.transform(source, False, True, 32, 3)
    assert np.array_equal(test_set[1][0], test_set[1][0])
