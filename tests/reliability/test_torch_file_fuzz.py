"""Fuzzing load_torch_file with mutated `torch.save` files, PyTorch's own reader as the judge.

The files are written by torch: state_dicts with many dtypes, a 0-d counter, an empty
tensor, and views (transposed, sliced, strided, offset) sharing one storage. Hypothesis
then changes their tensor records (offsets, sizes, strides), their storage records
(dtype, key, element count) and their bytes (storages truncated, extended or flipped;
data.pkl flipped or cut short), and the file is written back with valid zip checksums.

The rule tested, for every case, with the loader run in this process:
- load_torch_file raises ValueError, or returns a state_dict;
- when it returns one, torch.load(weights_only=True, map_location="cpu") accepts the
  same file and returns the same keys, dtypes, shapes and bytes (minicnn reads every
  storage into host memory, whatever device the file names: PyTorch's map_location="cpu").
So minicnn never accepts a file PyTorch rejects (it may reject files PyTorch accepts,
such as a storage named with two dtypes), never returns bytes from outside a storage,
never raises anything but ValueError, and never crashes the process.
"""
import warnings

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from minicnn.io import load_torch_file

torch = pytest.importorskip("torch")
import torch_file_surgery as surgery  # noqa: E402  (needs torch)


def _mixed():
    torch.manual_seed(0)
    return {
        "conv.weight": torch.randn(2, 3, 3, 3),
        "fc.bias": torch.randn(5, dtype=torch.float64),
        "bn.num_batches_tracked": torch.tensor(7),
        "empty": torch.zeros(0, 3),
        "mask": torch.tensor([True, False, True]),
        "int8": torch.tensor([-3, 4], dtype=torch.int8),
        "uint8": torch.tensor([[200, 1]], dtype=torch.uint8),
        "int16": torch.tensor([-300], dtype=torch.int16),
        "int32": torch.arange(6, dtype=torch.int32).reshape(2, 3),
        "half": torch.randn(4).half(),
        "complex": torch.complex(torch.randn(2), torch.randn(2)),
    }


def _views():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    return {"base": base, "t": base.t(), "slice": base[1:3, 2:5], "row": base[2],
            "columns": base[:, ::2], "last": base[3, 5], "ids": torch.arange(10)[3:8]}


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    folder = tmp_path_factory.mktemp("torch_files")
    paths = {}
    for name, make in (("mixed", _mixed), ("views", _views)):
        paths[name] = folder / f"{name}.pt"
        torch.save(make(), paths[name])
    return paths


STORAGE_TYPES = ["FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage",
                 "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage",
                 "BoolStorage", "ComplexFloatStorage", "ComplexDoubleStorage"]
# Small values build tensors that fit; the rest are out of range or of the wrong type.
# Nothing between 2**20 and 2**40: a stride-0 dimension of that size would fit inside its
# storage and make a copy that is merely slow.
INDEX = st.one_of(st.integers(0, 6), st.integers(0, 30),
                  st.sampled_from([-1, -2 ** 63, 2 ** 40, 2 ** 62, 2 ** 63 - 1, 2 ** 63, 2 ** 64,
                                   True, False, 4.0, None, "3"]))
INDICES = st.lists(INDEX, max_size=4).map(tuple) | st.lists(INDEX, max_size=4)


def _mutate_tensor(data, torch_file):
    record = torch_file.tensors()[data.draw(st.sampled_from(sorted(torch_file.tensors())))]
    field = data.draw(st.sampled_from(["offset", "size", "stride", "size item", "stride item"]))
    if field == "offset":
        numel = record.storage.numel if isinstance(record.storage.numel, int) else 0
        record.offset = data.draw(INDEX | st.integers(numel - 2, numel + 2))
    elif field in ("size", "stride"):
        setattr(record, field, data.draw(INDICES))
    else:
        values = list(getattr(record, field.split()[0]))
        if values:
            values[data.draw(st.integers(0, len(values) - 1))] = data.draw(INDEX)
        setattr(record, field.split()[0], tuple(values))


def _mutate_storage(data, torch_file):
    storages = torch_file.storages()
    storage = data.draw(st.sampled_from(storages))
    field = data.draw(st.sampled_from(["type_name", "numel", "key"]))
    if field == "type_name":
        storage.type_name = data.draw(st.sampled_from(STORAGE_TYPES))
    elif field == "numel" and isinstance(storage.numel, int):
        storage.numel = data.draw(st.integers(-2, 3).map(lambda d: storage.numel + d) | INDEX)
    else:
        storage.key = data.draw(st.sampled_from([s.key for s in storages] + ["99", 0]))


def _mutate_storage_bytes(data, torch_file):
    storage = data.draw(st.sampled_from(torch_file.storages()))
    name = f"{torch_file.prefix}data/{storage.key}"
    if name not in torch_file.entries:
        return
    content = bytearray(torch_file.entries[name])
    how = data.draw(st.sampled_from(["truncate", "extend", "flip"]))
    if how == "truncate":
        del content[data.draw(st.integers(0, len(content))):]
    elif how == "extend":
        content += bytes(data.draw(st.integers(1, 16)))
    elif content:
        content[data.draw(st.integers(0, len(content) - 1))] ^= data.draw(st.integers(1, 255))
    torch_file.entries[name] = bytes(content)


def _mutated_pickle(data, torch_file):
    """data.pkl with a few bytes flipped, or cut short (or None: pickled from the records)."""
    how = data.draw(st.sampled_from(["records", "records", "flip", "cut"]))
    if how == "records":
        return None
    content = bytearray(surgery.dumps(torch_file.obj))
    if how == "cut":
        return bytes(content[:data.draw(st.integers(0, len(content) - 1))])
    for _ in range(data.draw(st.integers(1, 3))):
        content[data.draw(st.integers(0, len(content) - 1))] ^= data.draw(st.integers(1, 255))
    return bytes(content)


MUTATIONS = [_mutate_tensor, _mutate_storage, _mutate_storage_bytes]


def _torch_load_or_none(path):
    try:
        with warnings.catch_warnings():  # its notes on unusual pickle protocols
            warnings.simplefilter("ignore")
            return torch.load(path, weights_only=True, map_location="cpu")
    except Exception:
        return None


def _assert_same_state_dict(ours, theirs):
    assert list(ours) == list(theirs)
    for key, tensor in theirs.items():
        expected = tensor.numpy().copy()
        assert (ours[key].dtype, ours[key].shape) == (expected.dtype, expected.shape), key
        assert ours[key].tobytes() == expected.tobytes(), key


def _check(path):
    try:
        ours = load_torch_file(path)
    except ValueError:
        return "refused"
    theirs = _torch_load_or_none(path)
    assert theirs is not None, "minicnn accepted a file that torch.load rejects"
    _assert_same_state_dict(ours, theirs)
    return "loaded"


@pytest.mark.parametrize("name", ["mixed", "views"])
def test_the_originals_load_equal_to_torch(originals, name):
    assert _check(originals[name]) == "loaded"


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_files_load_equal_to_torch_or_raise_value_error(originals, tmp_path_factory,
                                                                 data):
    torch_file = surgery.read(originals[data.draw(st.sampled_from(sorted(originals)))])
    for _ in range(data.draw(st.integers(1, 3))):
        data.draw(st.sampled_from(MUTATIONS))(data, torch_file)
    path = tmp_path_factory.getbasetemp() / "mutated.pt"
    surgery.write(torch_file, path, pickle_bytes=_mutated_pickle(data, torch_file))
    event(_check(path))
