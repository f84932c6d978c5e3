"""mc.save refuses, before writing, every value mc.load could not give back; mc.load
refuses every truncated, corrupt or foreign file with one ValueError naming the file."""
import datetime
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minicnn as mc


def _cyclic():
    items = [1]
    items.append({"again": items})
    return {"items": items}


def _deep(levels):
    value = 0
    for _ in range(levels):
        value = [value]
    return value


UNSTORABLE = {
    "object array": ({"model": {"w": np.array([1, "a"], dtype=object)}},
                     r"array of dtype object at obj\['model'\]\['w'\]"),
    "object array in a list": ({"x": [1, [np.zeros(2, dtype=object)]]},
                               r"array of dtype object at obj\['x'\]\[1\]\[0\]"),
    "structured array with an object field": (
        {"s": np.zeros(2, dtype=[("a", "f4"), ("b", "O")])}, r"array of dtype .* at obj\['s'\]"),
    "object scalar": ({"n": np.array(object()).reshape(())[()]},
                      r"object of type object at obj\['n'\]"),
    "arbitrary object": ({"state": {0: object()}}, r"object of type object at obj\['state'\]\[0\]"),
    "set": ({"tags": {"a"}}, r"object of type set at obj\['tags'\]"),
    "bytes": ([b"raw"], r"object of type bytes at obj\[0\]"),
    "complex": ({"z": 1j}, r"object of type complex at obj\['z'\]"),
    "datetime scalar": ({"t": np.datetime64("2020-01-01")},
                        r"object of type date at obj\['t'\]"),
    "function": ({"f": len}, r"object of type builtin_function_or_method at obj\['f'\]"),
    "float key": ({"a": {1.5: 2}}, r"dict keys must be str or int, got 1.5 at obj\['a'\]"),
    "cyclic": (_cyclic(), r"obj\['items'\]\[1\]\['again'\] contains itself"),
    "too deep": (_deep(5000), r"nested too deeply"),
}


@pytest.mark.parametrize("case", UNSTORABLE)
def test_save_refuses_what_load_cannot_give_back_before_writing(tmp_path, case):
    obj, message = UNSTORABLE[case]
    with pytest.raises(TypeError, match=rf"^save: .*{message}"):
        mc.save(obj, tmp_path / "new.npz")
    assert os.listdir(tmp_path) == []
    path = tmp_path / "kept.npz"
    mc.save({"epoch": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        mc.save(obj, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["kept.npz"]


def _assert_same(got, want):
    assert type(got) is type(want)
    if isinstance(want, mc.Tensor):
        want, got = want.numpy(), got.numpy()
    if isinstance(want, np.ndarray):
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes()
    elif isinstance(want, dict):
        assert list(got) == list(want)
        for key in want:
            _assert_same(got[key], want[key])
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _assert_same(g, w)
    elif isinstance(want, float) and np.isnan(want):
        assert np.isnan(got)
    else:
        assert got == want


STORABLE = {
    "tensor": mc.randn(2, 3),
    "0-d": np.asarray(7, dtype=np.int64),
    "empty": np.zeros((0, 4), np.float32),
    "strings": np.array(["ab", "ünï"]),
    "bytes": np.array([b"x", b"yz"]),
    "records": np.zeros(2, dtype=[("a", "f4"), ("b", "i2")]),
    "dates": np.array(["2020-01-01"], dtype="datetime64[D]"),
    "complex": np.array([1 + 2j], np.complex64),
    "bools": np.array([True, False]),
    "transposed": np.arange(6.0).reshape(2, 3).T,
    "numbers": [0, -1, 2 ** 80, 1.5, float("inf"), float("nan"), True, None, "text"],
    "int keys": {0: "zero", -3: (1, (2, [3]))},
    "numpy scalars": [np.float32(0.5), np.int16(3), np.bool_(True)],
}


def test_everything_save_accepts_loads_back(tmp_path):
    mc.save(STORABLE, tmp_path / "all.npz")
    loaded = mc.load(tmp_path / "all.npz")
    want = dict(STORABLE, **{"numpy scalars": [0.5, 3, True],
                             "transposed": np.ascontiguousarray(STORABLE["transposed"])})
    _assert_same(loaded, want)


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "checkpoint.npz"
    mc.save({"model": {"w": mc.randn(30, 30), "n": np.asarray(3)}, "epoch": 2}, path)
    return path


def _npz(path, **entries):
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in entries.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=True)
            archive.writestr(f"{name}.npy", buffer.getvalue())
    return path


def _structure(root, format="minicnn-archive-1"):
    text = json.dumps({"format": format, "root": root}).encode()
    return np.frombuffer(text, dtype=np.uint8)


def _write(path, data):
    path.write_bytes(data)
    return path


FOREIGN = {
    "empty file": (lambda p: _write(p, b""), r"is truncated or not a minicnn file \(the file "
                                             r"is empty\)"),
    "text": (lambda p: _write(p, b"epoch,loss\n1,0.5\n"), r"is none of the formats mc.load "
                                                        r"reads .*starts with b'epoch,los'"),
    "npy file": (lambda p: _write(p, _npy(np.zeros(3))), r"is none of the formats"),
    "pickle": (lambda p: _write(p, pickle.dumps({"w": [1.0]})), r"is none of the formats .*a "
                                                              r"pickle"),
    "npz without minicnn's layout": (lambda p: _npz(p, x=np.zeros(3)),
                                     r"is not a minicnn file \(no __minicnn_structure__"),
    "zip with a pickle": (lambda p: _write(p, _zip_bytes({"data.pkl": pickle.dumps([1])})),
                          r"holds a list, not a state_dict"),
    "object array inside": (
        lambda p: _npz(p, __minicnn_structure__=_structure({"array": "a0"}),
                       a0=np.array([{"x": 1}], dtype=object)),
        r"entry 'a0.npy' holds Python objects"),
    "entry that is no array": (
        lambda p: _write(p, _zip_bytes({"__minicnn_structure__.npy": _npy(_structure(
            {"value": 1})), "notes.txt": b"hi"})), r"entry 'notes.txt' is not a .npy array"),
    "structure naming a missing array": (
        lambda p: _npz(p, __minicnn_structure__=_structure({"tensor": "a7"})),
        r"names an array 'a7' that the file does not hold"),
    "structure that is no JSON": (
        lambda p: _npz(p, __minicnn_structure__=np.frombuffer(b"{oops", np.uint8)),
        r"is corrupt: its structure is not JSON"),
    "structure of another type": (
        lambda p: _npz(p, __minicnn_structure__=np.zeros(3)), r"entry is not text"),
    "structure without root": (
        lambda p: _npz(p, __minicnn_structure__=np.frombuffer(b"[1, 2]", np.uint8)),
        r"its structure has no root"),
    "another format": (lambda p: _npz(p, __minicnn_structure__=_structure({"value": 1}, "v9")),
                       r"has format 'v9', expected 'minicnn-archive-1'"),
    "malformed node": (lambda p: _npz(p, __minicnn_structure__=_structure(
        {"dict": [["k", {"value": 1}, "extra"]]})), r"malformed structure node"),
    "unknown node kind": (lambda p: _npz(p, __minicnn_structure__=_structure({"pickle": "x"})),
                          r"malformed structure node \{'pickle': 'x'\}"),
    "bool dict key": (lambda p: _npz(p, __minicnn_structure__=_structure(
        {"dict": [[True, {"value": 1}]]})), r"malformed structure node \[True"),
    "array header larger than its data": (
        lambda p: _write(p, _zip_bytes({"__minicnn_structure__.npy": _npy(_structure(
            {"array": "a0"})), "a0.npy": _npy(np.zeros(1000))[:200]})),
        r"entry 'a0.npy' is shorter than the \(1000,\) array of float64"),
}


def _npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _zip_bytes(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("case", FOREIGN)
def test_foreign_and_crafted_files_raise_one_clear_value_error(tmp_path, case):
    make, message = FOREIGN[case]
    path = make(tmp_path / "file.npz")
    with pytest.raises(ValueError, match=rf"^load: .*file\.npz.*{message}") as error:
        mc.load(path)
    assert "allow_pickle" not in str(error.value)


def test_every_truncation_raises_value_error_naming_the_file(saved):
    data = saved.read_bytes()
    for cut in range(0, len(data), 97):
        saved.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=r"^load: .*checkpoint\.npz"):
            mc.load(saved)


@settings(max_examples=100, deadline=None)
@given(position=st.floats(0, 1, exclude_max=True), xor=st.integers(1, 255))
def test_a_flipped_byte_loads_the_same_object_or_raises_value_error(tmp_path_factory, position,
                                                                    xor):
    """Bytes under a zip checksum are caught by it; bytes outside (timestamps, padding,
    headers NumPy re-checks) either change nothing or fail a check of their own."""
    folder = tmp_path_factory.getbasetemp()
    original = {"model": {"w": mc.arange(12.0).reshape(3, 4), "n": np.asarray(3)}, "epoch": 2}
    path = folder / "flipped.npz"
    mc.save(original, path)
    data = bytearray(path.read_bytes())
    data[int(position * len(data))] ^= xor
    path.write_bytes(bytes(data))
    try:
        loaded = mc.load(path)
    except ValueError as error:
        assert str(error).startswith(f"load: {path}")
        return
    _assert_same(loaded, original)


def test_missing_file_and_directory_raise_os_errors_naming_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        mc.load(tmp_path / "nothing.npz")
    with pytest.raises(IsADirectoryError, match=tmp_path.name):
        mc.load(tmp_path)


def test_a_datetime_object_is_refused(tmp_path):
    with pytest.raises(TypeError, match=r"object of type datetime at obj\['when'\]"):
        mc.save({"when": datetime.datetime(2020, 1, 1)}, tmp_path / "x.npz")
