"""load_torch_file on crafted PyTorch files: every tensor record is checked against its
storage, and every bad file raises ValueError naming the file and the key at fault."""
import pickle
import struct
import zipfile

import numpy as np
import pytest

from minicnn.io import load_torch_file

torch = pytest.importorskip("torch")
import torch_file_surgery as surgery  # noqa: E402  (needs torch)


@pytest.fixture
def saved(tmp_path):
    """A torch.save file: "w" is a transposed view at offset 1 into a 24-element storage,
    "n" a 0-d int64 counter, "e" an empty tensor."""
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    path = tmp_path / "weights.pt"
    torch.save({"w": base[:, 1:5].t(), "n": torch.tensor(3), "e": torch.zeros(0, 3)}, path)
    return path


def _crafted(saved, change, name="crafted.pt"):
    torch_file = surgery.read(saved)
    change(torch_file)
    path = saved.parent / name
    surgery.write(torch_file, path)
    return path


def _set(key, field, value):
    return lambda f: setattr(f.obj[key], field, value)


def _set_storage(key, field, value):
    return lambda f: setattr(f.obj[key].storage, field, value)


def _set_entry(key, transform):
    def change(f):
        name = f"{f.prefix}data/{f.obj[key].storage.key}"
        f.entries[name] = transform(f.entries[name])
    return change


def test_the_untouched_file_round_trips_through_the_surgery(saved):
    path = _crafted(saved, lambda f: None)
    ours, theirs = load_torch_file(path), torch.load(path, weights_only=True)
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        assert ours[key].dtype == value.numpy().dtype
        np.testing.assert_array_equal(ours[key], value.numpy())


TENSOR_CASES = {
    # the old loader read memory past the storage (or crashed) for these
    "offset past the end": (_set("w", "offset", 100), r"sizes \(4, 4\) with strides \(1, 6\) "
                                                      r"from offset 100 reach element 121, "
                                                      r"but the storage holds 24"),
    "stride past the end": (_set("w", "stride", (1, 2 ** 40)), r"sizes .* reach element"),
    "negative stride": (_set("w", "stride", (-1, 6)), r"strides \(-1, 6\) are not"),
    "0-d past the end": (_set("n", "offset", 1), r"sizes \(\) with strides \(\) from "
                                              r"offset 1 reach element 1, but the storage "
                                              r"holds 1"),
    # and silently returned wrong elements for these
    "negative offset": (_set("w", "offset", -1), r"storage offset -1 is not"),
    "bool size": (_set("w", "size", (True, 4)), r"sizes \(True, 4\) are not"),
    "float size": (_set("w", "size", (4.0, 4)), r"sizes \(4.0, 4\) are not"),
    "size beyond int64": (_set("w", "size", (2 ** 64, 1)), r"sizes .* are not"),
    "negative size": (_set("w", "size", (-1, 4)), r"sizes \(-1, 4\) are not"),
    "more sizes than strides": (_set("w", "size", (4, 4, 1)), r"3 sizes .* but 2 strides"),
    "size as a string": (_set("w", "size", "44"), r"sizes '44' are not"),
}


@pytest.mark.parametrize("case", TENSOR_CASES)
def test_a_tensor_outside_its_storage_is_refused_naming_file_and_key(saved, case):
    change, message = TENSOR_CASES[case]
    key = case.startswith("0-d") and "n" or "w"
    path = _crafted(saved, change)
    with pytest.raises(ValueError, match=rf"crafted\.pt: '{key}' \(storage '\d+'\): {message}"):
        load_torch_file(path)
    with pytest.raises(Exception):
        torch.load(path, weights_only=True)


STORAGE_CASES = {
    "entry shorter than numel": (_set_entry("w", lambda b: b[:50]),
                                 r"storage '0' holds 50 bytes, but 24 elements of float32 "
                                 r"take 96"),
    "entry longer than numel": (_set_entry("w", lambda b: b + b"1234"), r"holds 100 bytes"),
    "numel larger than the entry": (_set_storage("w", "numel", 25), r"holds 96 bytes"),
    "numel of 0 for a full entry": (_set_storage("n", "numel", 0), r"holds 8 bytes"),
    "dtype changed": (_set_storage("w", "type_name", "DoubleStorage"), r"of float64 take 192"),
    "negative numel": (_set_storage("w", "numel", -1), r"has -1 elements"),
    "missing entry": (_set_storage("w", "key", "99"), r"storage '99' has no zip entry"),
    "location that is no name": (_set_storage("w", "location", 3), r"has location 3"),
    # torch accepts these two: it formats the key into the entry's name, and it gives a
    # storage named twice the dtype of its first use; minicnn asks for what torch.save writes
    "key that is not a string": (_set_storage("w", "key", 0), r"storage key 0 is not a string"),
    "shared key, other dtype": (_set_storage("n", "key", "0"),
                                r"storage '0' is named as 1 elements of int64 and as 24 of "
                                r"float32"),
}
TORCH_ACCEPTS = {"key that is not a string", "shared key, other dtype"}


@pytest.mark.parametrize("case", STORAGE_CASES)
def test_a_storage_that_does_not_match_its_entry_is_refused(saved, case):
    change, message = STORAGE_CASES[case]
    path = _crafted(saved, change)
    with pytest.raises(ValueError, match=rf"crafted\.pt: .*{message}"):
        load_torch_file(path)
    if case not in TORCH_ACCEPTS:
        with pytest.raises(Exception):
            torch.load(path, weights_only=True)


def test_an_empty_tensor_needs_no_element_like_in_torch(saved):
    path = _crafted(saved, lambda f: (setattr(f.obj["e"], "offset", 10 ** 6),
                                      setattr(f.obj["e"], "stride", (10 ** 9, 10 ** 9))))
    assert load_torch_file(path)["e"].shape == torch.load(path, weights_only=True)["e"].shape


def test_a_stride_of_a_size_1_dimension_is_never_followed(saved):
    path = _crafted(saved, lambda f: (setattr(f.obj["w"], "size", (1, 4)),
                                      setattr(f.obj["w"], "stride", (2 ** 62, 6))))
    np.testing.assert_array_equal(load_torch_file(path)["w"],
                                  torch.load(path, weights_only=True)["w"].numpy())


def test_a_huge_broadcast_tensor_fails_fast_with_value_error(saved):
    """A stride-0 dimension of 2**40 is inside the storage, but its copy would not fit."""
    path = _crafted(saved, lambda f: (setattr(f.obj["w"], "size", (2 ** 40,)),
                                      setattr(f.obj["w"], "stride", (0,))))
    with pytest.raises(ValueError, match=r"'w' \(storage '0'\): sizes \(1099511627776,\) "
                                         r"make 1099511627776 elements of float32, more than"):
        load_torch_file(path)


@pytest.mark.parametrize("obj, message", [
    ([1, 2], r"holds a list, not a state_dict"),
    ({"model": {"w": 1}, "epoch": 3}, r"'model' is a dict, not a tensor"),
    ({"w": 3}, r"'w' is a int, not a tensor"),
    ({1: 2}, r"state_dict key 1 is not a string"),
])
def test_a_pickle_that_is_no_state_dict_is_refused(saved, obj, message):
    path = _crafted(saved, lambda f: setattr(f, "obj", obj))
    with pytest.raises(ValueError, match=rf"crafted\.pt:? {message}"):
        load_torch_file(path)


def test_a_nested_checkpoint_names_the_entry_that_is_no_tensor(tmp_path):
    path = tmp_path / "checkpoint.pt"
    torch.save({"model": {"w": torch.ones(2)}, "optimizer": {}}, path)
    with pytest.raises(ValueError, match=r"checkpoint\.pt: 'model' is a dict, not a tensor"):
        load_torch_file(path)


def test_a_dtype_numpy_lacks_is_refused_by_name(tmp_path):
    path = tmp_path / "bf16.pt"
    torch.save({"w": torch.ones(2, dtype=torch.bfloat16)}, path)
    with pytest.raises(ValueError, match=r"bf16\.pt: torch\.BFloat16Storage is not supported"):
        load_torch_file(path)


def test_complex_tensors_load(tmp_path):
    path = tmp_path / "c.pt"
    value = torch.complex(torch.randn(3), torch.randn(3))
    torch.save({"z": value, "zz": value.to(torch.complex128)}, path)
    loaded = load_torch_file(path)
    np.testing.assert_array_equal(loaded["z"], value.numpy())
    assert loaded["zz"].dtype == np.complex128


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_a_truncated_file_is_refused(saved, cut):
    data = saved.read_bytes()
    saved.write_bytes(data[:int(len(data) * cut)])
    with pytest.raises(ValueError, match=r"weights\.pt (is not a PyTorch zip file|is "
                                         r"truncated or corrupt)"):
        load_torch_file(saved)


@pytest.mark.parametrize("pickle_bytes", [b"", b"\x80\x02}q\x00(X\x01\x00", b"\xff" * 40,
                                          pickle.dumps({"w": 1})[:-1]])
def test_a_truncated_or_garbled_data_pkl_is_refused(saved, pickle_bytes):
    torch_file = surgery.read(saved)
    path = saved.parent / "garbled.pt"
    surgery.write(torch_file, path, pickle_bytes=pickle_bytes)
    with pytest.raises(ValueError, match=r"garbled\.pt is truncated or corrupt"):
        load_torch_file(path)


def test_a_storage_entry_with_a_bad_checksum_is_refused(saved):
    """Python's zipfile checks each entry's CRC; a flipped byte is caught there."""
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as archive:
        header = archive.getinfo("weights/data/0").header_offset
    name_length, extra_length = struct.unpack("<HH", data[header + 26:header + 30])
    data[header + 30 + name_length + extra_length + 5] ^= 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"weights\.pt is truncated or corrupt .*CRC"):
        load_torch_file(saved)


def test_a_zip_without_data_pkl_is_refused(tmp_path):
    path = tmp_path / "empty.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("empty/other", b"")
    with pytest.raises(ValueError, match=r"empty\.pt has no data\.pkl"):
        load_torch_file(path)


def test_a_big_endian_file_is_refused(saved):
    path = _crafted(saved, lambda f: f.entries.__setitem__(f"{f.prefix}byteorder", b"big"))
    with pytest.raises(ValueError, match=r"crafted\.pt is not little-endian"):
        load_torch_file(path)


def test_missing_file_and_directory_raise_os_errors_naming_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.pt"):
        load_torch_file(tmp_path / "nothing.pt")
    with pytest.raises(IsADirectoryError, match=str(tmp_path.name)):
        load_torch_file(tmp_path)
