"""download=True against a local HTTP server: checksums, retries, mirrors, atomic writes."""
import gzip

import numpy as np
import pytest
from data_helpers import cifar10_files, idx_bytes, md5, mnist_arrays, tar_gz
from data_helpers import offline_data_dirs, server  # noqa: F401  (fixtures)

from minicnn.data.datasets import CIFAR10, MNIST, ChecksumError, DownloadError, FashionMNIST
from minicnn.data.datasets import download
from minicnn.data.datasets.download import download_file


def mnist_payload(n=5, seed=0):
    """({filename: gz bytes} for the training split, images, labels)."""
    images, labels = mnist_arrays(n, seed)
    files = {"train-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
             "train-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels))}
    return files, images, labels


def serve_mnist(server, monkeypatch, cls=MNIST, wrong_md5=False, prefix="mnist/"):
    files, images, labels = mnist_payload()
    for name, data in files.items():
        server.routes[f"/{prefix}{name}"] = data
    resources = [(name, "0" * 32 if wrong_md5 else md5(data)) for name, data in files.items()]
    monkeypatch.setattr(cls, "resources", resources + [("t10k-images-idx3-ubyte.gz", "x"),
                                                       ("t10k-labels-idx1-ubyte.gz", "x")])
    return files, images, labels


def leftovers(folder):
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_download_with_correct_md5_then_parse(tmp_path, server, monkeypatch, cls):
    files, images, labels = serve_mnist(server, monkeypatch, cls)
    ds = cls(root=tmp_path, download=True, mirrors=[server.url + "mnist"])
    np.testing.assert_array_equal(ds.data, images)
    np.testing.assert_array_equal(ds.targets, labels)
    assert leftovers(tmp_path / cls.__name__) == sorted(files)
    assert sorted(server.requests) == sorted(f"/mnist/{n}" for n in files)
    # a second download=True finds the verified files and fetches nothing
    cls(root=tmp_path, download=True, mirrors=[server.url + "mnist"])
    assert len(server.requests) == 2


def test_environment_variables_choose_mirror_and_root(tmp_path, server, monkeypatch):
    serve_mnist(server, monkeypatch)
    monkeypatch.setenv("MINICNN_DATA_MIRROR", f"http://127.0.0.1:9/dead, {server.url}mnist/")
    monkeypatch.setenv("MINICNN_DATA", str(tmp_path / "cache"))
    ds = MNIST(download=True)
    assert len(ds) == 5
    assert (tmp_path / "cache" / "MNIST" / "train-images-idx3-ubyte.gz").is_file()


def test_wrong_md5_raises_and_leaves_nothing(tmp_path, server, monkeypatch):
    serve_mnist(server, monkeypatch, wrong_md5=True)
    with pytest.raises(ChecksumError, match="MD5 mismatch.*expected 0{32}"):
        MNIST(root=tmp_path, download=True, mirrors=[server.url + "mnist/"])
    assert leftovers(tmp_path / "MNIST") == []
    assert len(server.requests) == 2  # the first file and its one retry


@pytest.mark.parametrize("failure", [500, 503, "truncate"])
def test_a_failed_attempt_is_retried(tmp_path, server, failure):
    data = b"payload" * 1000
    server.routes["/f.bin"] = data
    server.failures["/f.bin"] = [failure]
    path = download_file("f.bin", tmp_path, md5(data), [server.url])
    assert path.read_bytes() == data
    assert server.requests == ["/f.bin", "/f.bin"]
    assert leftovers(tmp_path) == ["f.bin"]


def test_two_failures_move_to_the_next_mirror(tmp_path, server):
    data = b"abc" * 100
    server.routes["/b/f.bin"] = data
    server.failures["/a/f.bin"] = [500, 500]
    download_file("f.bin", tmp_path, md5(data), [server.url + "a", server.url + "b/"])
    assert server.requests == ["/a/f.bin", "/a/f.bin", "/b/f.bin"]


def test_every_mirror_failing_raises_and_lists_attempts(tmp_path, server):
    with pytest.raises(DownloadError) as info:
        download_file("missing.bin", tmp_path / "sub", None, [server.url, "http://127.0.0.1:9/"])
    assert not isinstance(info.value, ChecksumError)
    message = str(info.value)
    assert message.count(server.url + "missing.bin") == 2 and "404" in message
    assert "http://127.0.0.1:9/missing.bin" in message
    assert leftovers(tmp_path / "sub") == []


def test_a_stale_file_is_replaced_atomically(tmp_path, server):
    data = b"fresh" * 10
    (tmp_path / "f.bin").write_bytes(b"stale")
    server.routes["/f.bin"] = data
    download_file("f.bin", tmp_path, md5(data), [server.url])
    assert (tmp_path / "f.bin").read_bytes() == data
    assert leftovers(tmp_path) == ["f.bin"]


def test_progress_bar_names_the_file(tmp_path, server, capsys):
    server.routes["/f.bin"] = b"x" * 5000
    download_file("f.bin", tmp_path, None, [server.url], progress=True)
    assert "f.bin" in capsys.readouterr().err


def test_cifar10_download(tmp_path, server, monkeypatch):
    batches, files = cifar10_files(2)
    archive = tar_gz(tmp_path / "served.tar.gz", "cifar-10-batches-py", files).read_bytes()
    server.routes["/kriz/cifar-10-python.tar.gz"] = archive
    monkeypatch.setattr(CIFAR10, "archive", ("cifar-10-python.tar.gz", md5(archive)))
    ds = CIFAR10(root=tmp_path / "root", train=False, download=True,
                 mirrors=server.url + "kriz")
    assert ds.targets == batches["test_batch"]["labels"]
    assert leftovers(tmp_path / "root") == ["cifar-10-python.tar.gz"]


def test_cifar10_wrong_md5(tmp_path, server, monkeypatch):
    server.routes["/cifar-10-python.tar.gz"] = b"not the archive"
    with pytest.raises(ChecksumError, match="c58f30108f718f92721af3b95e74349a"):
        CIFAR10(root=tmp_path, download=True, mirrors=[server.url])
    assert leftovers(tmp_path) == []


def test_published_checksums_are_the_real_ones():
    assert dict(MNIST.resources)["train-images-idx3-ubyte.gz"] == \
        "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert dict(FashionMNIST.resources)["t10k-labels-idx1-ubyte.gz"] == \
        "bb300cfdad3c16e7a12a480ee83cd310"
    assert CIFAR10.archive[1] == "c58f30108f718f92721af3b95e74349a"
    assert all(len(m) == 32 for _, m in MNIST.resources + FashionMNIST.resources)
    assert download.default_root().name == "default-root"  # the autouse fixture's root
