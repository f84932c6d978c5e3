"""`minicnn train --detect-anomaly` and `--on-nonfinite`, on a tiny image folder: the flag
turns anomaly detection on for the run (and off after it), and a run whose loss turns NaN
ends with the stop message and no model.npz."""
import numpy as np
import pytest
from PIL import Image

import minicnn as mc
from minicnn.cli import main, train_command


@pytest.fixture
def image_folder(tmp_path):
    """train/ and test/, two classes of four 8×8 RGB images each."""
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for label in ("a", "b"):
            folder = tmp_path / "data" / split / label
            folder.mkdir(parents=True)
            for i in range(4):
                pixels = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.png")
    return tmp_path / "data"


def train(folder, out, *flags):
    return main(["train", "lenet5", "--dataset", str(folder), "--epochs", "1",
                 "--batch-size", "4", "--workers", "0", "--out", str(out), *flags])


@pytest.fixture
def fit_spy(monkeypatch):
    """Records, for each call of fit, whether anomaly detection was on and the policy."""
    calls = []
    real_fit = train_command.fit

    def spy(*args, **kwargs):
        calls.append((mc.autograd.is_anomaly_enabled(), kwargs["on_nonfinite"]))
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(train_command, "fit", spy)
    monkeypatch.setattr("minicnn.train.loop.plot_history", lambda rows, path: None)
    return calls


@pytest.mark.parametrize("flags, expected", [([], (False, "stop")),
                                             (["--detect-anomaly"], (True, "stop")),
                                             (["--on-nonfinite", "skip"], (False, "skip"))])
def test_the_flags_reach_fit(image_folder, tmp_path, fit_spy, flags, expected):
    assert train(image_folder, tmp_path / "run", *flags) == 0
    assert fit_spy == [expected]
    assert not mc.autograd.is_anomaly_enabled()
    assert (tmp_path / "run" / "model.npz").exists()


def test_a_nan_loss_ends_the_command_with_the_stop_message(image_folder, tmp_path, fit_spy,
                                                          monkeypatch):
    real_lenet5 = mc.models.lenet5

    def poisoned_lenet5(**kwargs):
        model = real_lenet5(**kwargs)
        with mc.no_grad():
            next(iter(model.parameters()))[0] = float("nan")
        return model

    monkeypatch.setattr(mc.models, "lenet5", poisoned_lenet5)
    with pytest.raises(SystemExit, match=r"^minicnn train: the loss is nan at epoch 1, step 1 "
                                         r"of 2; training stopped\. Last good checkpoint: none "
                                         r"written in this run; no model\.npz written$"):
        train(image_folder, tmp_path / "run", "--detect-anomaly")
    assert fit_spy == [(True, "stop")]
    assert not (tmp_path / "run" / "model.npz").exists()
    assert not mc.autograd.is_anomaly_enabled()
