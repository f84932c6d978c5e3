"""`fit` meets a NaN: with on_nonfinite="stop" (default) it stops with a message naming the
epoch, the step and the last good checkpoint; "skip" drops the batch; "raise" raises
NonFiniteError. No optimizer step is taken on a non-finite loss or gradient, and a
checkpoint is never overwritten with non-finite weights."""
import json
import math

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn, optim
from minicnn.data import DataLoader, TensorDataset
from minicnn.train import Callback, NonFiniteError, fit, load_checkpoint, loop, save_checkpoint

N, BATCH = 48, 8                                  # 6 batches per epoch
STEPS = N // BATCH


@pytest.fixture(autouse=True)
def no_plot(monkeypatch):
    monkeypatch.setattr(loop, "plot_history", lambda rows, path: None)  # matplotlib: seconds


def loader(seed=0):
    rng = np.random.default_rng(seed)
    labels = np.arange(N) % 3
    x = np.array([[3.0, 0.0], [-3.0, 2.0], [0.0, -3.0]])[labels] + 0.5 * rng.standard_normal(
        (N, 2))
    data = TensorDataset(mc.tensor(x.astype(np.float32)), mc.tensor(labels.astype(np.int64)))
    return DataLoader(data, batch_size=BATCH, shuffle=True, seed=seed)


def mlp():
    mc.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))


class NanLossAt:
    """cross_entropy, except at the given (0-based, counted over the run) training calls,
    where the loss is NaN."""

    def __init__(self, *calls, value=math.nan):
        self.calls, self.value, self.count = set(calls), value, 0

    def __call__(self, outputs, targets):
        loss = F.cross_entropy(outputs, targets)
        bad = self.count in self.calls
        self.count += 1
        return loss * self.value if bad else loss


class Weights(Callback):
    """The weights after every optimizer step and after every epoch."""

    def __init__(self):
        self.steps, self.epochs = [], []

    def on_step_end(self, state):
        self.steps.append((state["epoch"], state["step"], snapshot(state["model"])))

    def on_epoch_end(self, state):
        self.epochs.append(snapshot(state["model"]))


def snapshot(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def assert_finite(state):
    for k, v in state.items():
        assert np.isfinite(v).all(), k


def checkpoint_weights(path):
    return {k: v.numpy() for k, v in mc.load(path)["model"].items()}


def test_stop_is_the_default_and_keeps_the_last_good_checkpoint(tmp_path):
    model, record = mlp(), Weights()
    loss_fn = NanLossAt(STEPS + 2)                 # epoch 2, step 3
    with pytest.warns(RuntimeWarning) as warned:
        history = fit(model, loader(), optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                      loss_fn=loss_fn, epochs=3, out_dir=tmp_path, callbacks=[record],
                      progress=False)
    path = tmp_path / "checkpoint.npz"
    message = (f"fit: the loss is nan at epoch 2, step 3 of {STEPS}; training stopped. "
               f"Last good checkpoint: {path} (written after epoch 1)")
    assert [str(w.message) for w in warned if "fit:" in str(w.message)] == [message]
    assert loss_fn.count == STEPS + 3              # nothing ran after the NaN
    assert [row["epoch"] for row in history] == [1, 2]
    assert history[-1]["stopped"] == message and "stopped" not in history[0]
    assert json.loads((tmp_path / "history.json").read_text())[-1]["stopped"] == message
    # the weights are those of the last finite step; the checkpoint is epoch 1's
    assert_finite(snapshot(model))
    assert_same(snapshot(model), record.steps[-1][2])
    assert record.steps[-1][:2] == (1, 1)
    assert_same(checkpoint_weights(path), record.epochs[0])
    state = load_checkpoint(path, mlp(), optim.SGD(mlp().parameters(), lr=0.1), None)
    assert (state["epoch"], state["step_in_epoch"]) == (1, 0)


def test_stop_names_the_mid_epoch_checkpoint_and_resume_goes_on_from_it(tmp_path):
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with pytest.warns(RuntimeWarning, match=r"at epoch 1, step 6 of 6; training stopped\. Last "
                                            r"good checkpoint: .*checkpoint\.npz \(written at "
                                            r"epoch 1, step 4\)"):
        fit(model, loader(), opt, loss_fn=NanLossAt(5), epochs=2, out_dir=tmp_path,
            checkpoint_every=2, progress=False)
    resumed = mlp()
    history = fit(resumed, loader(), optim.SGD(resumed.parameters(), lr=0.1, momentum=0.9),
                  epochs=2, out_dir=tmp_path, resume=tmp_path / "checkpoint.npz",
                  progress=False)
    assert [row["epoch"] for row in history] == [1, 2]
    assert_finite(snapshot(resumed))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_raise_raises_before_any_step_with_the_bad_loss(tmp_path, value):
    model, record = mlp(), Weights()
    with pytest.raises(NonFiniteError, match=rf"fit: the loss is {value} at epoch 1, step 5 "
                                             rf"of 6; training stopped\. Last good "
                                             rf"checkpoint: none written in this run"):
        fit(model, loader(), optim.SGD(model.parameters(), lr=0.1), epochs=2,
            loss_fn=NanLossAt(4, value=value), on_nonfinite="raise", out_dir=tmp_path,
            callbacks=[record], progress=False)
    assert_same(snapshot(model), record.steps[-1][2])
    assert not (tmp_path / "checkpoint.npz").exists()
    assert issubclass(NonFiniteError, FloatingPointError)


def test_skip_drops_the_batches_counts_them_and_takes_no_step():
    model, record = mlp(), Weights()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)
    every_batch_of_epoch_2 = range(STEPS, 2 * STEPS)
    history = fit(model, loader(), opt, loss_fn=NanLossAt(1, *every_batch_of_epoch_2),
                  epochs=3, scheduler=sched, scheduler_step="batch", on_nonfinite="skip",
                  callbacks=[record], progress=False)
    assert [row["skipped_batches"] for row in history] == [1, STEPS, 0]
    assert [row["epoch"] for row in history] == [1, 2, 3]
    assert all("stopped" not in row for row in history)
    assert_same(record.epochs[1], record.epochs[0])   # epoch 2: no optimizer step
    lrs = [row["lr"] for row in history]
    assert lrs[1] == lrs[0] == pytest.approx(0.1 * 0.9 ** (STEPS - 1))   # no scheduler step
    assert len(record.steps) == 3 * STEPS - 1 - STEPS
    assert_finite(snapshot(model))
    assert history[2]["train_loss"] < history[0]["train_loss"]


class SqrtAt:
    """A finite loss whose gradient is infinite at the given training calls: √0 of a zero
    term, whose derivative 1/(2·√0) is inf."""

    def __init__(self, *calls):
        self.calls, self.count = set(calls), 0

    def __call__(self, outputs, targets):
        loss = F.cross_entropy(outputs, targets)
        if self.count in self.calls:
            loss = loss + (outputs * 0).sum().sqrt()
        self.count += 1
        return loss


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning")
def test_a_non_finite_gradient_is_caught_even_when_the_loss_is_finite():
    model = mlp()
    before = snapshot(model)
    with pytest.raises(NonFiniteError, match=r"fit: the gradient of 0\.weight holds NaN or "
                                             r"inf at epoch 1, step 1 of 6"):
        fit(model, loader(), optim.SGD(model.parameters(), lr=0.1), loss_fn=SqrtAt(0),
            on_nonfinite="raise", progress=False)
    assert_same(snapshot(model), before)
    history = fit(model, loader(), optim.SGD(model.parameters(), lr=0.1),
                  loss_fn=SqrtAt(0, 3), on_nonfinite="skip", progress=False)
    assert history[0]["skipped_batches"] == 2
    assert_finite(snapshot(model))


class PoisonAt(Callback):
    """Writes a NaN into the first weight after the given global step, as an overflowing
    update would."""

    def __init__(self, global_step, target="0.weight"):
        self.global_step, self.target = global_step, target

    def on_step_end(self, state):
        if state["global_step"] == self.global_step:
            state["model"].state_dict()[self.target].data[0, ...] = np.nan


@pytest.mark.parametrize("on_nonfinite", ["stop", "raise"])
def test_a_checkpoint_is_never_overwritten_with_non_finite_weights(tmp_path, on_nonfinite):
    model, record = mlp(), Weights()
    opt = optim.SGD(model.parameters(), lr=0.1)
    path = tmp_path / "checkpoint.npz"
    fit(model, loader(), opt, epochs=1, out_dir=tmp_path, progress=False)
    good = path.read_bytes()
    message = (rf"fit: model/0\.weight holds NaN or inf, so the checkpoint is not written, at "
               rf"epoch 2, step 6 of 6; training stopped\. Last good checkpoint: .*checkpoint"
               rf"\.npz \(the one this run resumed from\)")
    expected = pytest.raises(NonFiniteError, match=message) if on_nonfinite == "raise" \
        else pytest.warns(RuntimeWarning, match=message)
    with expected:
        # the loss after the poisoned step is NaN too, so poison the epoch's last step
        fit(model, loader(), opt, epochs=3, out_dir=tmp_path, resume=path,
            callbacks=[PoisonAt(2 * STEPS), record], on_nonfinite=on_nonfinite,
            progress=False)
    assert path.read_bytes() == good
    assert_finite(checkpoint_weights(path))


def test_a_poisoned_buffer_also_keeps_the_checkpoint(tmp_path):
    """Training-mode BatchNorm normalises with the batch statistics, so the loss stays
    finite after its running variance turns NaN; the next checkpoint catches it."""
    mc.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.SGD(model.parameters(), lr=0.1)
    path = tmp_path / "checkpoint.npz"
    with pytest.warns(RuntimeWarning, match=r"model/1\.running_var holds NaN or inf, so the "
                                            r"checkpoint is not written, at epoch 1, step 4 of "
                                            r"6; .* \(written at epoch 1, step 2\)"):
        fit(model, loader(), opt, epochs=1, out_dir=tmp_path, checkpoint_every=2,
            callbacks=[PoisonAt(2, target="1.running_var")], progress=False)
    assert mc.load(path)["step_in_epoch"] == 2
    assert_finite(checkpoint_weights(path))


def test_save_checkpoint_refuses_non_finite_weights_and_leaves_the_file(tmp_path):
    model = mlp()
    opt = optim.Adam(model.parameters())
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, model, opt, None, 1, 0, 6, None, [])
    good = path.read_bytes()
    with mc.no_grad():
        model[2].bias[1] = np.inf
    with pytest.raises(NonFiniteError, match=rf"save_checkpoint: model/2\.bias holds NaN or "
                                             rf"inf; {path} is left as it was") as info:
        save_checkpoint(path, model, opt, None, 2, 0, 12, None, [])
    assert info.value.entry == "model/2.bias"
    assert path.read_bytes() == good


def test_save_checkpoint_checks_the_optimizer_state_too(tmp_path):
    model = mlp()
    opt = optim.Adam(model.parameters())
    F.cross_entropy(model(mc.randn(4, 2)), mc.tensor(np.zeros(4, dtype=np.int64))).backward()
    opt.step()
    opt.state[model[0].weight]["exp_avg"].data[...] = np.nan
    with pytest.raises(NonFiniteError, match=r"optimizer/state/0/exp_avg holds NaN"):
        save_checkpoint(tmp_path / "c.npz", model, opt, None, 1, 0, 1, None, [])
    assert not (tmp_path / "c.npz").exists()


def test_on_nonfinite_must_be_a_known_policy():
    model = mlp()
    with pytest.raises(ValueError, match=r"fit: on_nonfinite must be one of \('stop', 'skip', "
                                         r"'raise'\), got 'ignore'"):
        fit(model, loader(), optim.SGD(model.parameters(), lr=0.1), on_nonfinite="ignore",
            progress=False)


def test_finite_runs_are_unchanged():
    """The checks observe only: the same run with each policy ends with the same weights
    and no stop or skip."""
    results = []
    for policy in ("stop", "skip", "raise"):
        model = mlp()
        history = fit(model, loader(), optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                      epochs=2, on_nonfinite=policy, progress=False)
        assert all("stopped" not in row and row.get("skipped_batches", 0) == 0
                   for row in history)
        results.append(snapshot(model))
    assert_same(results[0], results[1])
    assert_same(results[0], results[2])
