"""fit's ways to stop early and what it shows: max_steps (a smoke run) and Ctrl-C both leave
a mid-epoch checkpoint that resume continues to the weights of an uninterrupted run; one line
per epoch and no progress-bar redraws when stdout is not a terminal; networks with auxiliary
outputs; confusion counts."""
import os
import re
import signal

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim
from minicnn.train import Callback, TrainingInterrupted, evaluate, fit

from train_helpers import blobs, loaders, mlp

LINE = re.compile(r"^epoch (\d+)/(\d+)  loss \d+\.\d{4}  acc \d\.\d{4}  val_acc \d\.\d{4}  "
                  r"\(\d+\.\d s\)$")


def _run(out, epochs=2, callbacks=(), resume=None, max_steps=None, progress=False):
    model = mlp(seed=0, dropout=0.3)
    mc.manual_seed(5)
    train, val = loaders(shuffle=True)
    opt = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
    history = fit(model, train, opt, epochs=epochs, val_loader=val, scheduler=scheduler,
                  scheduler_step="batch", out_dir=out, callbacks=callbacks, resume=resume,
                  max_steps=max_steps, progress=progress)
    return model, history


def _same_weights(a, b):
    for key, value in a.state_dict().items():
        assert np.array_equal(b.state_dict()[key].numpy(), value.numpy()), key


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("full"))


def test_max_steps_stops_mid_epoch_and_resume_goes_on(tmp_path, uninterrupted):
    full_model, full_history = uninterrupted
    _, history = _run(tmp_path, max_steps=4)               # 6 batches per epoch
    assert len(history) == 1 and "val_acc" in history[0]
    state = mc.load(tmp_path / "checkpoint.npz")
    assert (state["epoch"], state["step_in_epoch"], state["global_step"]) == (0, 4, 4)
    _, history = _run(tmp_path, resume=tmp_path / "checkpoint.npz", max_steps=5)
    state = mc.load(tmp_path / "checkpoint.npz")
    assert (state["epoch"], state["step_in_epoch"], state["global_step"]) == (1, 3, 9)
    model, history = _run(tmp_path, resume=tmp_path / "checkpoint.npz")
    _same_weights(full_model, model)
    assert [row["train_loss"] for row in history] == \
        pytest.approx([row["train_loss"] for row in full_history], rel=1e-6)


def test_max_steps_must_be_positive():
    with pytest.raises(ValueError, match="max_steps must be a positive integer"):
        _run(None, max_steps=0)


class Interrupt(Callback):
    """Sends this process SIGINT (Ctrl-C) once, at a global step, or twice."""

    def __init__(self, global_step, times=1):
        self.global_step, self.times = global_step, times

    def on_step_end(self, state):
        if state["global_step"] == self.global_step:
            for _ in range(self.times):
                os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_writes_a_checkpoint_and_resume_reaches_the_same_weights(tmp_path, uninterrupted,
                                                                        capfd,
                                                                        ctrl_c_reaches_python):
    with pytest.raises(TrainingInterrupted) as stop:
        _run(tmp_path, callbacks=[Interrupt(8)])
    assert (stop.value.epoch, stop.value.step) == (1, 2)
    assert stop.value.checkpoint == f"{tmp_path / 'checkpoint.npz'} (written at epoch 2, step 2)"
    assert str(stop.value) == f"fit: interrupted at epoch 2, step 2 of 6; checkpoint: " \
                              f"{stop.value.checkpoint}"
    assert "stopping after this batch" in capfd.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    model, _ = _run(tmp_path, resume=tmp_path / "checkpoint.npz")
    _same_weights(uninterrupted[0], model)


def test_a_second_ctrl_c_interrupts_at_once(tmp_path, ctrl_c_reaches_python):
    with pytest.raises(KeyboardInterrupt) as stop:
        _run(tmp_path, callbacks=[Interrupt(3, times=2)])
    assert not isinstance(stop.value, TrainingInterrupted)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_one_line_per_epoch_and_no_bar_when_stdout_is_not_a_terminal(tmp_path, capfd):
    _run(tmp_path, epochs=2, progress=True)
    out, err = capfd.readouterr()
    lines = out.splitlines()
    assert [LINE.match(line).groups() for line in lines] == [("1", "2"), ("2", "2")]
    assert "\r" not in out + err and "batch" not in out + err


class TwoHeads(nn.Module):
    """Returns (logits, auxiliary logits) in training, as GoogLeNet does."""

    def __init__(self):
        super().__init__()
        self.body, self.aux = mlp(), nn.Linear(2, 3)

    def forward(self, x):
        return (self.body(x), self.aux(x)) if self.training else self.body(x)


def test_accuracy_of_a_model_with_auxiliary_outputs_counts_its_main_logits():
    model = TwoHeads()
    train, val = loaders()
    history = fit(model, train, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=3,
                  loss_fn=mc.models.inception_loss, val_loader=val, progress=False)
    assert history[-1]["train_acc"] > 0.9 and history[-1]["val_acc"] > 0.9


def test_evaluate_counts_the_confusion():
    model = mlp()
    x, y = blobs(48, seed=1)
    scores = evaluate(model, [(x[:20], y[:20]), (x[20:], y[20:])], confusion=True)
    with mc.no_grad():
        predicted = model(x).numpy().argmax(1)
    expected = np.zeros((3, 3), np.int64)
    np.add.at(expected, (y.numpy(), predicted), 1)
    assert np.array_equal(scores["confusion"], expected)
    assert scores["top1"] == pytest.approx(np.trace(expected) / 48)
