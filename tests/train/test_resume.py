"""Kill-and-resume determinism of `fit`: a run killed with SIGKILL mid-epoch (or right after
an epoch) and resumed from its checkpoint ends with exactly the weights, history and
learning rate of a run that was never interrupted."""
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim
from minicnn.train import fit, load_checkpoint

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

EPOCHS, IMAGES, BATCH = 3, 256, 32
STEPS = IMAGES // BATCH                       # 8 batches per epoch, 24 in all

# Runs one training job.  argv: out_dir mode [kill_at] [checkpoint_every] [loader]
#   mode "full":   train from scratch, no interruption
#   mode "kill":   train from scratch, SIGKILL self in on_step_end at global step kill_at,
#                  or in on_epoch_end after epoch kill_at when kill_at looks like "e<k>"
#   mode "resume": continue from out_dir/checkpoint.npz
#   loader "own":  DataLoader(seed=0); "global": the loader draws from minicnn's generator
SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import minicnn as mc
    from minicnn import nn, optim
    from minicnn.data import DataLoader, Subset
    from minicnn.data import transforms as T
    from minicnn.data.datasets import MNISTSample
    from minicnn.train import Callback, fit, loop

    loop.plot_history = lambda rows, path: None   # matplotlib costs seconds; tested elsewhere

    out, mode = sys.argv[1], sys.argv[2]
    kill_at = sys.argv[3] if len(sys.argv) > 3 else "none"
    every = None if len(sys.argv) <= 4 or sys.argv[4] == "none" else int(sys.argv[4])
    loader_kind = sys.argv[5] if len(sys.argv) > 5 else "own"

    mc.set_num_threads(1)
    mc.manual_seed(0)
    tf = T.Compose([T.Pad(2), T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    data = Subset(MNISTSample(train=True, transform=tf), list(range(0, 4000, 15))[:{images}])
    seed = 0 if loader_kind == "own" else None
    loader = DataLoader(data, batch_size={batch}, shuffle=True, seed=seed)
    val = DataLoader(Subset(MNISTSample(train=False, transform=tf), list(range(0, 1000, 15))),
                     batch_size=64)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),        # 6 x 14 x 14
        nn.Conv2d(6, 8, 5), nn.ReLU(), nn.MaxPool2d(2),        # 8 x 5 x 5
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(200, 32), nn.ReLU(),
        nn.Dropout(0.3), nn.Linear(32, 10))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, epochs={epochs},
                                          steps_per_epoch=len(loader))

    class Kill(Callback):
        def on_step_end(self, state):
            if kill_at.isdigit() and state["global_step"] == int(kill_at):
                os.kill(os.getpid(), signal.SIGKILL)

        def on_epoch_end(self, state):
            if kill_at == "e%d" % (state["epoch"] + 1):
                os.kill(os.getpid(), signal.SIGKILL)

    resume = os.path.join(out, "checkpoint.npz") if mode == "resume" else None
    history = fit(model, loader, opt, epochs={epochs}, val_loader=val, scheduler=sched,
                  scheduler_step="batch", out_dir=out, checkpoint_every=every,
                  resume=resume, callbacks=[Kill()] if mode == "kill" else [],
                  progress=False)
    mc.save({{"model": model.state_dict(), "history": history,
              "lr": opt.param_groups[0]["lr"], "rng": mc.get_rng_state()}},
            os.path.join(out, "final.npz"))
""").format(images=IMAGES, batch=BATCH, epochs=EPOCHS)


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    path = tmp_path_factory.mktemp("resume") / "train_script.py"
    path.write_text(SCRIPT)
    return path


def _run(script, out, mode, kill_at="none", every="none", loader="own"):
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(script), str(out), mode, str(kill_at), str(every),
                           loader], capture_output=True, text=True, timeout=240, env=env)


def _finished(script, out, *args, **kwargs):
    proc = _run(script, out, *args, **kwargs)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return mc.load(out / "final.npz")


@pytest.fixture(scope="module")
def reference(script, tmp_path_factory):
    """The uninterrupted runs, one per loader kind."""
    cache = {}

    def get(loader):
        if loader not in cache:
            out = tmp_path_factory.mktemp(f"full-{loader}")
            cache[loader] = dict(_finished(script, out, "full", loader=loader), out=out)
        return cache[loader]
    return get


def _assert_same_run(resumed, full):
    assert resumed["model"].keys() == full["model"].keys()
    for key in full["model"]:
        a, b = resumed["model"][key].numpy(), full["model"][key].numpy()
        assert np.array_equal(a, b), f"{key}: max diff {np.abs(a - b).max()}"
    assert resumed["lr"] == full["lr"]
    assert resumed["rng"] == full["rng"]
    assert len(resumed["history"]) == len(full["history"]) == EPOCHS
    for got, want in zip(resumed["history"], full["history"]):
        for key in ("epoch", "train_loss", "train_acc", "lr", "val_loss", "val_acc", "val_top5"):
            assert got[key] == pytest.approx(want[key], rel=1e-6, abs=1e-9), (got["epoch"], key)


# (kill_at, checkpoint_every, (epoch, step_in_epoch) of the checkpoint left behind).
# Global step g (1-based) is batch (g - 1) % 8 of epoch (g - 1) // 8 (0-based).
CASES = {
    # mid-epoch 2: killed after its 4th batch, with a checkpoint after every batch
    "mid-epoch": (STEPS + 4, 1, (1, 4)),
    # mid-epoch 2, but the newest checkpoint (after batch 3) is older than the kill (after
    # batch 5): batches 4 and 5 are trained again
    "stale-checkpoint": (STEPS + 5, 3, (1, 3)),
    # killed after the first batch of epoch 2 with only epoch-end checkpoints: the run
    # resumes from the epoch boundary
    "epoch-boundary": (STEPS + 1, "none", (1, 0)),
    # killed after the last batch of epoch 2, before its end-of-epoch checkpoint
    "last-batch": (2 * STEPS, 1, (1, STEPS - 1)),
}


@pytest.mark.parametrize("case, loader", [
    ("mid-epoch", "own"), ("epoch-boundary", "own"), ("last-batch", "own"),
    # the loader drawing its order from minicnn's generator, shared with dropout
    ("stale-checkpoint", "global"), ("epoch-boundary", "global"),
])
def test_killed_and_resumed_run_equals_uninterrupted(script, reference, tmp_path, case, loader):
    kill_at, every, position = CASES[case]
    killed = _run(script, tmp_path, "kill", kill_at, every, loader)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert not (tmp_path / "final.npz").exists()
    state = mc.load(tmp_path / "checkpoint.npz")
    assert (state["epoch"], state["step_in_epoch"]) == position
    assert state["global_step"] == STEPS * position[0] + position[1]
    resumed = _finished(script, tmp_path, "resume", loader=loader)
    _assert_same_run(resumed, reference(loader))


def test_the_comparison_can_fail(reference):
    """Runs that see the batches in another order (the two loader kinds) end elsewhere:
    a resume that replayed the wrong batches or dropout masks would be noticed."""
    own, other = reference("own"), reference("global")
    assert not any(np.array_equal(other["model"][k].numpy(), own["model"][k].numpy())
                   for k in own["model"])


def test_resume_from_finished_run_trains_no_more(script, reference, tmp_path):
    """Resuming from the final epoch-end checkpoint of a complete run changes nothing,
    the random state included."""
    full = reference("own")
    resumed = _finished(script, full["out"], "resume")
    _assert_same_run(resumed, full)


def _tiny_setup():
    mc.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, opt


def _checkpoint(tmp_path):
    from minicnn.data import DataLoader, TensorDataset

    model, opt = _tiny_setup()
    x = mc.tensor(np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32))
    y = mc.tensor(np.arange(16) % 3)
    fit(model, DataLoader(TensorDataset(x, y), batch_size=4), opt, epochs=1, out_dir=tmp_path,
        progress=False)
    return tmp_path / "checkpoint.npz"


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.0])
def test_truncated_checkpoint_raises_and_changes_nothing(tmp_path, keep):
    path = _checkpoint(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    model, opt = _tiny_setup()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match="truncated|not a minicnn file"):
        load_checkpoint(path, model, opt, None)
    with pytest.raises(ValueError, match="checkpoint.npz"):
        fit(model, [], opt, resume=path, progress=False)
    for k, v in model.state_dict().items():
        assert np.array_equal(v.numpy(), before[k]), k
    assert not opt.state


def test_mismatched_checkpoint_changes_nothing(tmp_path):
    """A checkpoint whose optimizer state does not fit raises before the model is touched."""
    path = _checkpoint(tmp_path)
    mc.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 3))
    opt = optim.SGD([{"params": [model[0].weight]}, {"params": [model[0].bias]}], lr=0.1)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError):
        load_checkpoint(path, model, opt, None)
    for k, v in model.state_dict().items():
        assert np.array_equal(v.numpy(), before[k]), k
