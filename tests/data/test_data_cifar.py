"""CIFAR-10/100 from python-version archives the tests write, and the restricted unpickler."""
import io
import os
import pickle
import subprocess

import numpy as np
import pytest
from data_helpers import CIFAR10_CLASSES, cifar100_files, cifar10_files, pickled, tar_gz
from data_helpers import offline_data_dirs  # noqa: F401  (autouse fixture)

from minicnn.data.datasets import CIFAR10, CIFAR100, RestrictedUnpickler

PROTOCOLS = ["py2", 2, 4, 5]


def expected_images(batches, names):
    data = np.concatenate([batches[n]["data"] for n in names])
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("train", [True, False])
def test_cifar10_from_archive(tmp_path, protocol, train):
    batches, files = cifar10_files(protocol)
    tar_gz(tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py", files)
    ds = CIFAR10(root=tmp_path, train=train)
    names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
    assert len(ds) == (10 if train else 4)
    assert ds.classes == CIFAR10_CLASSES
    assert ds.data.shape == (len(ds), 32, 32, 3) and ds.data.dtype == np.uint8
    np.testing.assert_array_equal(ds.data, expected_images(batches, names))
    assert ds.targets == [y for n in names for y in batches[n]["labels"]]
    image, label = ds[len(ds) - 1]
    assert image.shape == (32, 32, 3) and isinstance(label, int)
    # pixel (y, x) of channel c sits at c * 1024 + y * 32 + x in the batch row
    row = batches[names[-1]]["data"][-1]
    assert image[5, 7, 2] == row[2 * 1024 + 5 * 32 + 7]


def test_cifar10_from_extracted_folder_and_transforms(tmp_path):
    batches, files = cifar10_files("py2", seed=3)
    for name, data in files.items():
        (tmp_path / "cifar-10-batches-py").mkdir(exist_ok=True)
        (tmp_path / "cifar-10-batches-py" / name).write_bytes(data)
    ds = CIFAR10(tmp_path, train=False, transform=lambda x: x.mean(),
                 target_transform=str)
    image, label = ds[0]
    assert image == pytest.approx(batches["test_batch"]["data"][0].mean())
    assert label == str(batches["test_batch"]["labels"][0])
    assert ds.class_to_idx["truck"] == 9


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_cifar100_fine_labels(tmp_path, protocol):
    batches, files = cifar100_files(protocol)
    tar_gz(tmp_path / "cifar-100-python.tar.gz", "cifar-100-python", files)
    train, test = CIFAR100(tmp_path), CIFAR100(tmp_path, train=False)
    assert (len(train), len(test)) == (6, 3)
    assert train.targets == batches["train"]["fine_labels"]
    assert len(train.classes) == 100 and train.classes[7] == "class07"
    np.testing.assert_array_equal(test.data, expected_images(batches, ["test"]))


# ---- malicious and malformed pickles --------------------------------------------------------

class Payload:
    """Unpickling this calls `fn(*args)`."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def payloads(marker):
    return {
        "os.system": Payload(os.system, f"touch {marker}"),
        "eval": Payload(eval, f"open({str(marker)!r}, 'w')"),
        "exec": Payload(exec, f"open({str(marker)!r}, 'w')"),
        "subprocess": Payload(subprocess.call, ["touch", str(marker)]),
        "open": Payload(open, str(marker), "w"),
        "getattr": Payload(getattr, "text", "upper"),
        "__import__": Payload(__import__, "os"),
        "numpy.load": Payload(np.load, str(marker)),
        "object array": np.array([1, "a"], dtype=object),
    }


PAYLOADS = list(payloads("m"))


@pytest.mark.parametrize("name", PAYLOADS)
@pytest.mark.parametrize("protocol", [2, 5])
def test_restricted_unpickler_refuses_globals(tmp_path, name, protocol):
    marker = tmp_path / "pwned"
    data = pickle.dumps({"data": payloads(marker)[name]}, protocol=protocol)
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        RestrictedUnpickler(io.BytesIO(data)).load()
    assert not marker.exists()


@pytest.mark.parametrize("name", ["os.system", "subprocess"])
def test_the_payloads_do_run_under_a_plain_unpickler(tmp_path, name):
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps({"data": payloads(marker)[name]}, protocol=2))
    assert marker.exists()


@pytest.mark.parametrize("name", ["os.system", "eval", "object array"])
@pytest.mark.parametrize("member", ["data_batch_3", "batches.meta"])
def test_malicious_batch_inside_an_archive_is_rejected(tmp_path, name, member):
    marker = tmp_path / "pwned"
    _, files = cifar10_files(2)
    files[member] = pickle.dumps({"data": payloads(marker)[name], "labels": []}, protocol=2)
    tar_gz(tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py", files)
    with pytest.raises(pickle.UnpicklingError):
        CIFAR10(tmp_path)
    assert not marker.exists()


def test_codecs_encode_only_for_latin1():
    # protocol-2 bytes are _codecs.encode(text, "latin1"); any other codec is refused
    raw = pickle.dumps(b"\x00\xff", protocol=2)
    assert RestrictedUnpickler(io.BytesIO(raw)).load() == b"\x00\xff"
    evil = raw.replace(b"latin1", b"rot_13")
    with pytest.raises(pickle.UnpicklingError, match="rot_13"):
        RestrictedUnpickler(io.BytesIO(evil)).load()


@pytest.mark.parametrize("defect, match", [
    (lambda b: {k: v for k, v in b.items() if k != "labels"}, "no 'labels'"),
    (lambda b: {**b, "data": b["data"][:, :100]}, r"\(N, 3072\)"),
    (lambda b: {**b, "data": b["data"].astype(np.float32)}, "uint8"),
    (lambda b: {**b, "labels": b["labels"][:-1]}, "labels"),
    (lambda b: {**b, "labels": [11] * len(b["labels"])}, r"\[0, 10\)"),
    (lambda b: [1, 2, 3], "dict"),
])
def test_malformed_batches_are_reported(tmp_path, defect, match):
    batches, files = cifar10_files(4)
    files["test_batch"] = pickled(defect(batches["test_batch"]), 4)
    tar_gz(tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py", files)
    with pytest.raises(ValueError, match=match):
        CIFAR10(tmp_path, train=False)


def test_archive_without_a_batch_or_not_an_archive(tmp_path):
    _, files = cifar10_files()
    del files["data_batch_4"]
    tar_gz(tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py", files)
    with pytest.raises(ValueError, match="cifar-10-batches-py/data_batch_4"):
        CIFAR10(tmp_path)
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"not a tar")
    with pytest.raises(ValueError, match="tar.gz"):
        CIFAR10(tmp_path)


@pytest.mark.parametrize("cls, url", [
    (CIFAR10, "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"),
    (CIFAR100, "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"),
])
def test_missing_archive_says_where_and_how(tmp_path, monkeypatch, cls, url):
    monkeypatch.delenv("MINICNN_DATA_MIRROR")
    with pytest.raises(FileNotFoundError) as info:
        cls(root=tmp_path)
    message = str(info.value)
    assert str(tmp_path / url.rsplit("/", 1)[1]) in message
    assert "download=True" in message and url in message
