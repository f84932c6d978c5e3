"""fit and evaluate on a tiny synthetic problem: learning, history rows, run folder files,
scheduler stepping, gradient clipping, callbacks, train/eval modes, in-process resume."""
import csv
import json
import sys

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim
from minicnn.data import DataLoader, TensorDataset
from minicnn.train import Callback, evaluate, fit, plot_history, write_history
from train_helpers import BATCH, N, loaders, mlp

TRAIN_KEYS = {"epoch", "train_loss", "train_acc", "lr", "seconds", "images_per_s"}
VAL_KEYS = {"val_loss", "val_acc", "val_top5"}


class Recorder(Callback):
    def __init__(self):
        self.steps, self.epochs = [], []

    def on_step_end(self, state):
        grads = [p.grad.numpy() for p in state["model"].parameters() if p.grad is not None]
        self.steps.append(dict(epoch=state["epoch"], step=state["step"],
                               global_step=state["global_step"], loss=state["loss"],
                               grad_norm=float(np.sqrt(sum((g.astype(np.float64) ** 2).sum()
                                                           for g in grads))),
                               training=state["model"].training))

    def on_epoch_end(self, state):
        self.epochs.append((state["epoch"], dict(state["row"])))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One run with validation and a run folder, shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("run")
    model = mlp()
    train, val = loaders()
    recorder = Recorder()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, train, opt, epochs=4, val_loader=val, out_dir=out,
                  callbacks=[recorder], progress=False)
    return dict(model=model, history=history, out=out, recorder=recorder, val=val)


def test_fit_learns_a_separable_problem(trained):
    history = trained["history"]
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    assert history[-1]["train_acc"] > 0.95
    assert history[-1]["val_acc"] > 0.95
    scores = evaluate(trained["model"], trained["val"])
    assert scores["top1"] == pytest.approx(history[-1]["val_acc"])
    assert scores["loss"] == pytest.approx(history[-1]["val_loss"], rel=1e-6)


def test_history_has_one_row_per_epoch_with_the_documented_keys(trained):
    history = trained["history"]
    assert [row["epoch"] for row in history] == [1, 2, 3, 4]
    for row in history:
        assert set(row) == TRAIN_KEYS | VAL_KEYS
        assert 0.0 <= row["train_acc"] <= 1.0 and 0.0 <= row["val_acc"] <= row["val_top5"]
        assert row["val_top5"] == 1.0           # 3 classes: the true one is always in the top 5
        assert row["seconds"] > 0 and row["images_per_s"] > 0
        assert row["lr"] == 0.1


def test_train_metrics_are_the_mean_over_the_epoch(trained):
    """train_loss is the sample-weighted mean of the per-batch losses the callbacks saw."""
    steps = trained["recorder"].steps
    for row in trained["history"]:
        losses = [s["loss"] for s in steps if s["epoch"] == row["epoch"] - 1]
        assert len(losses) == N // BATCH
        assert row["train_loss"] == pytest.approx(np.mean(losses), rel=1e-6)


def test_without_validation_there_are_no_val_keys():
    model = mlp()
    train, _ = loaders()
    history = fit(model, train, optim.SGD(model.parameters(), lr=0.1), epochs=2,
                  progress=False)
    assert len(history) == 2 and all(set(row) == TRAIN_KEYS for row in history)


def test_run_folder_holds_history_plot_and_checkpoint(trained):
    out, history = trained["out"], trained["history"]
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "curves.png",
                                                     "history.csv", "history.json"]
    rows = json.loads((out / "history.json").read_text())
    assert len(rows) == len(history)
    for saved, row in zip(rows, history):
        assert saved == pytest.approx(row)
    with open(out / "history.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == len(history)
    for saved, row in zip(table, history):
        assert set(saved) == set(row)
        assert {k: float(v) for k, v in saved.items()} == pytest.approx(row)
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    state = mc.load(out / "checkpoint.npz")
    assert (state["epoch"], state["step_in_epoch"], state["global_step"]) == (4, 0, 24)
    assert len(state["history"]) == 4
    for key, value in trained["model"].state_dict().items():
        assert np.array_equal(state["model"][key].numpy(), value.numpy()), key


def test_callbacks_fire_once_per_step_and_epoch(trained):
    recorder = trained["recorder"]
    assert [s["global_step"] for s in recorder.steps] == list(range(1, 25))
    assert [(s["epoch"], s["step"]) for s in recorder.steps] == \
        [(e, k) for e in range(4) for k in range(6)]
    assert all(s["training"] for s in recorder.steps)
    assert [e for e, _ in recorder.epochs] == [0, 1, 2, 3]
    assert [row for _, row in recorder.epochs] == trained["history"]


@pytest.mark.parametrize("where, steps", [("epoch", 3), ("batch", 18)])
def test_scheduler_steps_per_epoch_or_per_batch(where, steps):
    model = mlp()
    train, _ = loaders()
    opt = optim.SGD(model.parameters(), lr=1.0)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, train, opt, epochs=3, scheduler=scheduler, scheduler_step=where,
                  progress=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5 ** steps)
    assert scheduler.last_epoch == steps
    per_epoch = steps // 3
    assert [row["lr"] for row in history] == \
        pytest.approx([0.5 ** (per_epoch * (e + 1)) for e in range(3)])


def test_bad_scheduler_step_is_refused():
    model = mlp()
    with pytest.raises(ValueError, match="scheduler_step.*'sometimes'"):
        fit(model, [], optim.SGD(model.parameters(), lr=0.1), scheduler_step="sometimes")


@pytest.mark.parametrize("max_norm", [0.05, None])
def test_clip_grad_norm_is_applied_before_the_step(max_norm):
    model = mlp()
    train, _ = loaders()
    recorder = Recorder()
    fit(model, train, optim.SGD(model.parameters(), lr=0.01), epochs=1,
        clip_grad_norm=max_norm, callbacks=[recorder], progress=False)
    norms = np.array([s["grad_norm"] for s in recorder.steps])
    if max_norm is None:                        # unclipped gradients are far larger
        assert norms.min() > 0.5
    else:
        assert np.all(norms <= max_norm * (1 + 1e-5))
        assert norms.max() == pytest.approx(max_norm, rel=1e-4)


@pytest.mark.parametrize("mode", [True, False])
def test_evaluate_restores_the_training_mode(mode):
    model = mlp(dropout=0.5)
    model.train(mode)
    _, val = loaders()
    seen = []
    model.register_forward_hook(lambda m, i, o: seen.append(m[2].training))
    first = evaluate(model, val)
    assert model.training is mode and model[2].training is mode
    assert seen and not any(seen)               # dropout was off while evaluating
    assert evaluate(model, val) == first        # and evaluation is deterministic


def test_evaluate_keeps_submodule_modes():
    """A submodule deliberately in eval mode (a frozen layer) stays so after evaluate."""
    model = mlp(dropout=0.5).train()
    model[2].eval()
    _, val = loaders()
    evaluate(model, val)
    assert model.training and not model[2].training and model[0].training


def test_evaluate_scores_by_hand():
    """Fixed logits through an identity model: loss and top-k worked out by hand."""
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 2.0], [0.0, 1.0, 5.0]],
                      np.float32)
    labels = np.array([0, 2, 1, 2])              # top-1 hits: rows 0, 3; top-2: 0, 1, 3
    loader = DataLoader(TensorDataset(mc.tensor(logits), mc.tensor(labels)), batch_size=3)
    scores = evaluate(nn.Identity(), loader, topk=(1, 2, 5))
    log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    assert scores["loss"] == pytest.approx(-log_probs[np.arange(4), labels].mean(), rel=1e-5)
    assert (scores["top1"], scores["top2"], scores["top5"]) == (0.5, 0.75, 1.0)


class Stop(Exception):
    pass


class StopAt(Callback):
    def __init__(self, global_step):
        self.global_step = global_step

    def on_step_end(self, state):
        if state["global_step"] == self.global_step:
            raise Stop


@pytest.mark.parametrize("kind", ["loader", "workers", "list"])
def test_in_process_resume_with_dropout(tmp_path, kind):
    """Interrupted by an exception mid-epoch and resumed in a fresh model and optimizer:
    the same weights and history as an uninterrupted run (a shuffling DataLoader, one with
    worker threads, or a plain list of batches; dropout in the model)."""
    def run(out, callbacks=(), resume=None):
        model = mlp(seed=0, dropout=0.3)
        mc.manual_seed(5)
        train, val = loaders(shuffle=True)
        if kind == "workers":
            train = DataLoader(train.dataset, batch_size=BATCH, shuffle=True, num_workers=2)
        elif kind == "list":
            train = list(loaders(shuffle=False)[0])
        opt = optim.Adam(model.parameters(), lr=0.01)
        scheduler = optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
        history = fit(model, train, opt, epochs=3, val_loader=val, scheduler=scheduler,
                      scheduler_step="batch", out_dir=out, checkpoint_every=1,
                      callbacks=callbacks, resume=resume, progress=False)
        return model, history

    full_model, full_history = run(tmp_path / "full")
    with pytest.raises(Stop):
        run(tmp_path / "cut", [StopAt(9)])
    model, history = run(tmp_path / "cut", resume=tmp_path / "cut" / "checkpoint.npz")
    for key, value in full_model.state_dict().items():
        assert np.array_equal(model.state_dict()[key].numpy(), value.numpy()), key
    assert len(history) == len(full_history) == 3
    for got, want in zip(history, full_history):
        assert set(got) == set(want)
        for key in set(want) - {"seconds", "images_per_s"}:
            assert got[key] == pytest.approx(want[key], rel=1e-6), (got["epoch"], key)


def test_write_history_takes_the_union_of_keys(tmp_path):
    rows = [{"epoch": 1, "train_loss": 2.0}, {"epoch": 2, "train_loss": 1.0, "val_acc": 0.5}]
    csv_path, json_path = write_history(rows, tmp_path / "new")
    with open(csv_path, newline="") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == ["epoch", "train_loss", "val_acc"]
    assert table[0]["val_acc"] == "" and table[1]["val_acc"] == "0.5"
    assert json.loads(open(json_path).read()) == rows


def test_plot_without_matplotlib_is_a_notice(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert plot_history([{"epoch": 1, "train_loss": 1.0}], tmp_path / "c.png") is None
    assert "matplotlib is not installed" in capsys.readouterr().out
    assert not (tmp_path / "c.png").exists()
