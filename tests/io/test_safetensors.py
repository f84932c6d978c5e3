"""mc.save / mc.load of .safetensors files: state_dicts round trip, PyTorch's safetensors
reads and writes the same files, and what the format cannot hold is refused before
anything is written."""
import os

import numpy as np
import pytest

import minicnn as mc

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def _state():
    mc.manual_seed(0)
    model = mc.nn.Sequential(mc.nn.Conv2d(1, 2, 3), mc.nn.BatchNorm2d(2))
    state = model.state_dict()
    state["mask"] = mc.tensor(np.array([True, False]))
    state["half"] = mc.tensor(np.arange(3, dtype=np.float16))
    state["bytes"] = mc.tensor(np.arange(4, dtype=np.uint8))
    state["transposed"] = mc.arange(6.0).reshape(2, 3).t()        # not contiguous
    state["array"] = np.arange(5, dtype=np.int32)                  # a plain array
    return state


def _assert_same(loaded, state):
    assert set(loaded) == set(state)
    for name, value in state.items():
        expected = value.numpy() if isinstance(value, mc.Tensor) else value
        assert isinstance(loaded[name], mc.Tensor)
        assert loaded[name].dtype == expected.dtype and loaded[name].shape == expected.shape
        np.testing.assert_array_equal(loaded[name].numpy(), expected)


def test_a_state_dict_round_trips_with_dtypes_and_the_0d_counter(tmp_path):
    state = _state()
    mc.save(state, tmp_path / "m.safetensors")
    loaded = mc.load(tmp_path / "m.safetensors")
    _assert_same(loaded, state)
    assert loaded["1.num_batches_tracked"].shape == ()
    loaded["0.weight"] += 1                             # the tensors own writable memory


def test_the_file_is_plain_safetensors(tmp_path):
    state = _state()
    mc.save(state, tmp_path / "m.safetensors")
    read = safetensors_numpy.load_file(tmp_path / "m.safetensors")
    _assert_same({k: mc.tensor(v) for k, v in read.items()}, state)


def test_files_of_pytorch_safetensors_load_into_a_model(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    reference(torch.randn(2, 1, 5, 5))
    safetensors_torch.save_file(reference.state_dict(), tmp_path / "t.safetensors")
    model = mc.nn.Sequential(mc.nn.Conv2d(1, 2, 3), mc.nn.BatchNorm2d(2))
    model.load_state_dict(mc.load(tmp_path / "t.safetensors"))
    model.eval(), reference.eval()
    x = np.random.default_rng(0).standard_normal((1, 1, 5, 5)).astype(np.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(mc.tensor(x)).detach().numpy(), expected, rtol=1e-5,
                               atol=1e-6)
    mc.save(model.state_dict(), tmp_path / "m.safetensors")
    back = safetensors_torch.load_file(tmp_path / "m.safetensors")
    for name, value in reference.state_dict().items():
        torch.testing.assert_close(back[name], value)


@pytest.mark.parametrize("obj, message", [
    ({"w": mc.ones(2), "epoch": 3}, r"'epoch' is a int, not a tensor; a \.safetensors file "
                                    r"holds tensors only"),
    ({"model": {"w": mc.ones(2)}}, r"'model' is a dict, not a tensor"),
    ({1: mc.ones(2)}, r"safetensors names tensors by strings, got the key 1"),
    ([mc.ones(2)], r"a \.safetensors file holds a dict of tensors \(a state_dict\), got a "
                   r"list"),
    ({"s": np.array(["a", "b"])}, r"'s' has dtype <U1, which a safetensors file cannot hold"),
    ({"o": np.array([None])}, r"'o' has dtype object"),
])
def test_what_safetensors_cannot_hold_is_refused_before_writing(tmp_path, obj, message):
    path = tmp_path / "m.safetensors"
    mc.save({"w": mc.ones(3)}, path)
    data = path.read_bytes()
    with pytest.raises(TypeError, match=rf"^save: .*m\.safetensors: {message}"):
        mc.save(obj, path)
    assert path.read_bytes() == data and os.listdir(tmp_path) == ["m.safetensors"]


def test_a_damaged_safetensors_file_is_a_value_error_naming_it(tmp_path):
    path = tmp_path / "m.safetensors"
    mc.save({"w": mc.arange(100.0)}, path)
    data = path.read_bytes()
    for cut in (len(data) - 1, len(data) // 2, 20):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=r"^load: .*m\.safetensors is truncated, corrupt "
                                             r"or not a safetensors file"):
            mc.load(path)


def test_the_format_is_read_by_content_not_by_suffix(tmp_path):
    mc.save({"w": mc.ones(2)}, tmp_path / "m.safetensors")
    os.rename(tmp_path / "m.safetensors", tmp_path / "weights.npz")
    np.testing.assert_array_equal(mc.load(tmp_path / "weights.npz")["w"].numpy(), np.ones(2))


@pytest.mark.gpu
def test_cuda_tensors_are_saved_and_loaded_onto_a_device(tmp_path):
    state = {"w": mc.arange(6.0, device="cuda").reshape(2, 3), "n": mc.tensor(3).to("cuda")}
    mc.save(state, tmp_path / "m.safetensors")
    on_cpu = mc.load(tmp_path / "m.safetensors")
    assert not on_cpu["w"].is_cuda
    np.testing.assert_array_equal(on_cpu["w"].numpy(), np.arange(6.0).reshape(2, 3))
    on_gpu = mc.load(tmp_path / "m.safetensors", map_location="cuda")
    assert on_gpu["w"].is_cuda and on_gpu["n"].item() == 3
