"""PyTorch weights: from_torch conversion and the restricted .pth reader."""
import io
import pickle
import zipfile

import numpy as np
import pytest

from minicnn.io import from_torch, load_torch_file

torch = pytest.importorskip("torch")


def _module():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    m(torch.randn(2, 1, 5, 5))  # updates running stats and num_batches_tracked
    return m


def test_from_torch_converts_every_entry_including_the_0d_counter():
    sd = _module().state_dict()
    converted = from_torch(sd)
    assert list(converted) == list(sd)
    for name, value in sd.items():
        np.testing.assert_array_equal(converted[name], value.numpy())
    assert converted["1.num_batches_tracked"].shape == () and \
        converted["1.num_batches_tracked"].dtype == np.int64


def test_load_torch_file_reads_a_saved_state_dict(tmp_path):
    sd = _module().state_dict()
    torch.save(sd, tmp_path / "m.pth")
    loaded = load_torch_file(tmp_path / "m.pth")
    assert list(loaded) == list(sd)
    for name, value in sd.items():
        assert loaded[name].dtype == value.numpy().dtype
        np.testing.assert_array_equal(loaded[name], value.numpy())


def test_load_torch_file_handles_views_and_checkpoint_dicts(tmp_path):
    t = torch.arange(24.0).reshape(4, 6)[:, 1:5].t()   # strided, offset view
    torch.save({"state_dict": {"x": t}}, tmp_path / "c.pth")
    np.testing.assert_array_equal(load_torch_file(tmp_path / "c.pth")["x"], t.numpy())


class _Evil:
    def __reduce__(self):
        import os
        return os.system, ("echo pwned",)


def test_a_pickle_naming_other_globals_is_refused(tmp_path):
    path = tmp_path / "evil.pth"
    payload = io.BytesIO()
    pickle.dump({"w": _Evil()}, payload)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("evil/data.pkl", payload.getvalue())
        z.writestr("evil/byteorder", "little")
    with pytest.raises(ValueError, match=r"evil.pth: refusing to load (posix|os)\.system"):
        load_torch_file(path)


def test_non_zip_file_is_refused(tmp_path):
    path = tmp_path / "old.pth"
    path.write_bytes(b"\x80\x02legacy")
    with pytest.raises(ValueError, match="is not a PyTorch zip file"):
        load_torch_file(path)
