"""torch.save / torch.load habits with mc.save / mc.load: a `.pt` path gets minicnn's own
archive (with one warning saying so), and mc.load also reads the files torch.save wrote,
through the bounds-checked reader."""
import io
import pickle
import warnings
import zipfile

import numpy as np
import pytest

import minicnn as mc
from minicnn.io import FormatWarning, files

torch = pytest.importorskip("torch")


@pytest.fixture
def fresh_warning(monkeypatch):
    """As in a new process: the warning about PyTorch suffixes not given yet."""
    monkeypatch.setattr(files, "_warned_torch_suffix", False)


def test_a_pt_path_holds_minicnns_archive_and_says_so_once(tmp_path, fresh_warning):
    state = mc.nn.Linear(3, 2).state_dict()
    with pytest.warns(FormatWarning, match=r"m\.pt is written in minicnn's archive format "
                                           r"\(a NumPy \.npz zip without pickle\), not "
                                           r"PyTorch's.*\.safetensors"):
        mc.save(state, tmp_path / "m.pt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mc.save(state, tmp_path / "again.pth")
    loaded = mc.load(tmp_path / "m.pt")
    for name, value in state.items():
        np.testing.assert_array_equal(loaded[name].numpy(), value.numpy())
    with np.load(tmp_path / "m.pt", allow_pickle=False) as archive:   # a plain .npz
        assert "__minicnn_structure__" in archive.files
    with pytest.raises(Exception):
        torch.load(tmp_path / "m.pt", weights_only=True)


def test_other_suffixes_do_not_warn(tmp_path, fresh_warning):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mc.save({"w": mc.ones(1)}, tmp_path / "m.npz")
        mc.save({"w": mc.ones(1)}, tmp_path / "checkpoint")


def _torch_net():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4),
                              torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4 * 3 * 3, 2))
    net(torch.randn(4, 3, 5, 5))                  # running statistics and the 0-d counter
    return net.eval()


def _minicnn_net():
    nn = mc.nn
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 3 * 3, 2)).eval()


def test_a_state_dict_written_by_torch_save_loads_into_the_same_model(tmp_path):
    net = _torch_net()
    torch.save(net.state_dict(), tmp_path / "net.pt")
    loaded = mc.load(tmp_path / "net.pt")
    assert list(loaded) == list(net.state_dict())
    assert all(isinstance(t, mc.Tensor) for t in loaded.values())
    assert loaded["1.num_batches_tracked"].shape == ()
    model = _minicnn_net()
    model.load_state_dict(loaded)
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(mc.tensor(x)).detach().numpy(), expected, rtol=1e-5,
                               atol=1e-6)


def test_a_torch_checkpoint_dict_gives_its_state_dict(tmp_path):
    net = _torch_net()
    torch.save({"state_dict": net.state_dict()}, tmp_path / "ck.pth")
    assert list(mc.load(tmp_path / "ck.pth")) == list(net.state_dict())


def test_a_legacy_pickle_file_is_refused_saying_so(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match=r"^load: .*old\.pt is none of the formats mc\.load "
                                         r"reads .*PyTorch's legacy format"):
        mc.load(tmp_path / "old.pt")


class _Evil:
    def __reduce__(self):
        import os
        return os.system, ("echo pwned",)


def test_a_crafted_pt_file_is_refused_through_mc_load(tmp_path):
    path = tmp_path / "evil.pt"
    payload = io.BytesIO()
    pickle.dump({"w": _Evil()}, payload)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("evil/data.pkl", payload.getvalue())
    with pytest.raises(ValueError, match=r"^load: .*evil\.pt: refusing to load (posix|os)\."
                                         r"system"):
        mc.load(path)


@pytest.mark.parametrize("weights_only", [None, True, False])
@pytest.mark.parametrize("mmap", [None, False, True])
def test_load_takes_torch_loads_flags_for_every_format(tmp_path, fresh_warning, weights_only,
                                                       mmap):
    state = {"w": mc.arange(6).reshape(2, 3)}
    mc.save(state, tmp_path / "ours.npz")
    mc.save(state, tmp_path / "ours.safetensors")
    torch.save({"w": torch.arange(6).reshape(2, 3)}, tmp_path / "theirs.pt")
    for name in ("ours.npz", "ours.safetensors", "theirs.pt"):
        loaded = mc.load(tmp_path / name, map_location="cpu", weights_only=weights_only,
                         mmap=mmap)
        np.testing.assert_array_equal(loaded["w"].numpy(), np.arange(6).reshape(2, 3))


def test_weights_only_false_still_runs_no_code_from_the_file(tmp_path):
    """What torch.load(weights_only=False) would unpickle, mc.load refuses all the same."""
    torch.save({"w": torch.ones(2), "make": print}, tmp_path / "code.pt")
    with pytest.raises(ValueError, match="code.pt"):
        mc.load(tmp_path / "code.pt", weights_only=False)


@pytest.mark.parametrize("flag", ["weights_only", "mmap"])
def test_load_flags_of_another_type_are_named(tmp_path, flag):
    mc.save({"w": mc.ones(2)}, tmp_path / "w.npz")
    with pytest.raises(TypeError, match=f"load: {flag} must be True, False or None, got 'yes'"):
        mc.load(tmp_path / "w.npz", **{flag: "yes"})
