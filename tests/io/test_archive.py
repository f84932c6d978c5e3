"""mc.save / mc.load: round trips, atomic writes, clear errors for bad files."""
import os

import numpy as np
import pytest

import minicnn as mc
from minicnn.io import load, save


def test_round_trip_of_nested_structures(tmp_path):
    obj = {"model": {"w": mc.randn(3, 4), "n": np.asarray(7, dtype=np.int64)},
           "optimizer": {"state": {0: {"step": 5, "momentum": np.ones(2, np.float32)}},
                         "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0]}]},
           "epoch": 3, "name": "lenet", "none": None, "flag": True,
           "rng": mc.get_rng_state()}
    save(obj, tmp_path / "ck.npz")
    back = load(tmp_path / "ck.npz")
    assert isinstance(back["model"]["w"], mc.Tensor)
    np.testing.assert_array_equal(back["model"]["w"].numpy(), obj["model"]["w"].numpy())
    assert back["model"]["n"].dtype == np.int64 and back["model"]["n"].shape == ()
    assert back["optimizer"]["state"][0]["step"] == 5
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["epoch"] == 3 and back["name"] == "lenet" and back["none"] is None
    assert back["flag"] is True and back["rng"] == obj["rng"]


def test_the_file_is_a_plain_npz_without_pickle(tmp_path):
    save({"w": mc.ones(2)}, tmp_path / "ck.npz")
    with np.load(tmp_path / "ck.npz", allow_pickle=False) as archive:
        assert all(archive[name].dtype != object for name in archive.files)


def test_failed_save_keeps_the_previous_file(tmp_path):
    path = tmp_path / "ck.npz"
    save({"epoch": 1}, path)
    with pytest.raises(TypeError, match="save: cannot store an object of type object"):
        save({"epoch": 2, "bad": object()}, path)
    assert load(path) == {"epoch": 1}
    assert os.listdir(tmp_path) == ["ck.npz"]  # no temporary file left behind


@pytest.mark.parametrize("content, message", [
    (b"", "is truncated or not a minicnn file"),
    (b"PK\x03\x04 not really a zip", "is truncated or not a minicnn file"),
])
def test_truncated_or_foreign_bytes_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        load(path)


def test_truncated_archive_is_refused_and_left_unchanged(tmp_path):
    path = tmp_path / "ck.npz"
    save({"w": mc.randn(100, 100)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or not a minicnn file"):
        load(path)
    assert path.read_bytes() == data[: len(data) // 2]


def test_npz_written_by_someone_else_is_refused(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, x=np.zeros(3))
    with pytest.raises(ValueError, match="is not a minicnn file"):
        load(path)


def test_bad_keys_are_refused(tmp_path):
    with pytest.raises(TypeError, match="save: dict keys must be str or int"):
        save({(1, 2): 3}, tmp_path / "x.npz")


def test_exported_at_top_level(tmp_path):
    mc.save({"a": 1}, tmp_path / "a.npz")
    assert mc.load(tmp_path / "a.npz") == {"a": 1}
