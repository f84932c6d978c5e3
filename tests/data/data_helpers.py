"""Helpers for the minicnn.data tests: writers for small files in the real dataset formats
(IDX, CIFAR python pickles in a tar.gz), a local HTTP server, and fixtures."""
import gzip
import hashlib
import http.server
import io
import pickle
import struct
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
             np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx_bytes(array, dtype=np.uint8):
    """An IDX file: two zero bytes, type code, ndim, big-endian sizes, big-endian data."""
    array = np.asarray(array, dtype=np.dtype(dtype).newbyteorder(">"))
    code = IDX_CODES[array.dtype if array.dtype.itemsize > 1 else np.dtype(dtype)]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_file(path, data, gz=False):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def mnist_arrays(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, size=n).astype(np.uint8))


def write_mnist(folder, train, images, labels, gz=True):
    """MNIST-named IDX files for one split; returns {filename: bytes as written}."""
    prefix = "train" if train else "t10k"
    suffix = ".gz" if gz else ""
    files = {}
    for kind, array in (("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)):
        name = f"{prefix}-{kind}{suffix}"
        path = write_file(Path(folder) / name, idx_bytes(array), gz=gz)
        files[name] = path.read_bytes()
    return files


def py2_pickle(obj):
    """Protocol-2 bytes as Python 2's cPickle wrote the CIFAR batches: str as BINSTRING,
    arrays through numpy.core.multiarray._reconstruct with their bytes as a str."""
    out = bytearray(b"\x80\x02")

    def string(raw):
        out.extend(b"U" + bytes([len(raw)]) + raw if len(raw) < 256
                   else b"T" + struct.pack("<i", len(raw)) + raw)

    def write(o):
        if isinstance(o, dict):
            out.extend(b"}(")
            for k, v in o.items():
                write(k)
                write(v)
            out.extend(b"u")
        elif isinstance(o, list):
            out.extend(b"](")
            for v in o:
                write(v)
            out.extend(b"e")
        elif isinstance(o, tuple):
            out.extend(b"(")
            for v in o:
                write(v)
            out.extend(b"t")
        elif o is None:
            out.extend(b"N")
        elif isinstance(o, bool):
            out.extend(b"\x88" if o else b"\x89")
        elif isinstance(o, int):
            out.extend(b"K" + bytes([o]) if 0 <= o < 256 else b"J" + struct.pack("<i", o))
        elif isinstance(o, str):
            string(o.encode("latin1"))
        elif isinstance(o, np.ndarray):
            out.extend(b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n")
            write((0,))
            string(b"b")
            out.extend(b"\x87R(K\x01")  # TUPLE3 REDUCE, then the state tuple
            write(tuple(o.shape))
            out.extend(b"cnumpy\ndtype\n")
            write((o.dtype.str[1:], 0, 1))
            out.extend(b"R")
            write((3, o.dtype.str[0], None, None, None, -1, -1, 0))
            out.extend(b"b\x89")  # BUILD the dtype, NEWFALSE (not Fortran order)
            string(np.ascontiguousarray(o).tobytes())
            out.extend(b"tb")
        else:
            raise TypeError(type(o))

    write(obj)
    out.extend(b".")
    return bytes(out)


def pickled(obj, protocol):
    return py2_pickle(obj) if protocol == "py2" else pickle.dumps(obj, protocol=protocol)


def cifar_batches(sizes, num_classes, labels_key, seed=0):
    """{name: batch dict} with `sizes[name]` random images each."""
    rng = np.random.default_rng(seed)
    batches = {}
    for name, n in sizes.items():
        batch = {"batch_label": f"{name} of 1", "data": rng.integers(
                     0, 256, size=(n, 3072), dtype=np.uint8),
                 labels_key: [int(v) for v in rng.integers(0, num_classes, size=n)],
                 "filenames": [f"img_{name}_{i}.png" for i in range(n)]}
        if labels_key == "fine_labels":
            batch["coarse_labels"] = [v // 5 for v in batch[labels_key]]
        batches[name] = batch
    return batches


CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck"]


def cifar10_files(protocol="py2", seed=0, train_sizes=(3, 2, 2, 1, 2), test_size=4):
    sizes = {f"data_batch_{i + 1}": n for i, n in enumerate(train_sizes)}
    sizes["test_batch"] = test_size
    batches = cifar_batches(sizes, 10, "labels", seed)
    files = {name: pickled(b, protocol) for name, b in batches.items()}
    files["batches.meta"] = pickled({"label_names": CIFAR10_CLASSES, "num_cases_per_batch": 3,
                                     "num_vis": 3072}, protocol)
    return batches, files


def cifar100_files(protocol="py2", seed=0):
    batches = cifar_batches({"train": 6, "test": 3}, 100, "fine_labels", seed)
    files = {name: pickled(b, protocol) for name, b in batches.items()}
    files["meta"] = pickled({"fine_label_names": [f"class{i:02d}" for i in range(100)],
                             "coarse_label_names": [f"super{i:02d}" for i in range(20)]},
                            protocol)
    return batches, files


def tar_gz(path, folder, files):
    """A tar.gz holding `folder/name` for each of `files` ({name: bytes})."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(folder)
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def md5(data):
    return hashlib.md5(data).hexdigest()


class LocalServer:
    """An HTTP server on 127.0.0.1 (free port) in a thread. `routes[path]` is the bytes to
    serve; `failures[path]` a list of failures to produce first, one per request:
    an HTTP status code, or "truncate" (announce the full length, send half, close)."""

    def __init__(self):
        self.routes, self.failures, self.requests = {}, {}, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                pending = server.failures.get(self.path)
                body = server.routes.get(self.path)
                if pending:
                    failure = pending.pop(0)
                    if failure == "truncate" and body is not None:
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body[:len(body) // 2])
                        self.close_connection = True
                        return
                    self.send_error(failure)
                    return
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


# ---- fixtures (imported by the test modules that need them; tests/data has no conftest.py
# because the other test folders import helpers `from conftest`) ---------------------------

@pytest.fixture(autouse=True)
def offline_data_dirs(tmp_path, monkeypatch):
    """Default root under tmp_path; default mirror a closed local port (so nothing can reach
    the internet or ~/.cache); no delay before retries."""
    from minicnn.data.datasets import download

    monkeypatch.setenv("MINICNN_DATA", str(tmp_path / "default-root"))
    monkeypatch.setenv("MINICNN_DATA_MIRROR", "http://127.0.0.1:9/")
    monkeypatch.setattr(download, "RETRY_DELAY", 0)
    monkeypatch.setattr(download, "TIMEOUT", 10)


@pytest.fixture
def server():
    s = LocalServer()
    yield s
    s.close()
