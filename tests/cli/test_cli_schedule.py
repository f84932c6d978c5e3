"""The learning-rate schedule of `minicnn train`: onecycle gives OneCycleLR's numbers, the
other kinds their closed forms, and a schedule loaded from a checkpoint continues at the
saved step, rebuilt for its own (possibly longer) total."""
import math

import pytest

from minicnn import nn, optim
from minicnn.cli.schedule import TrainingSchedule, factor


def _optimizer(kind="sgd", lr=0.1):
    params = nn.Linear(2, 2).parameters()
    if kind == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9)
    return optim.Adam(params, lr=lr)


def _trace(scheduler, optimizer, steps, key="momentum"):
    lrs, momenta = [], []
    for _ in range(steps):
        group = optimizer.param_groups[0]
        lrs.append(group["lr"])
        momenta.append(group["betas"][0] if key == "betas" else group[key])
        optimizer.step()
        scheduler.step()
    return lrs, momenta


@pytest.mark.parametrize("kind, key", [("sgd", "momentum"), ("adam", "betas")])
@pytest.mark.parametrize("total", [7, 40])
def test_onecycle_gives_onecycle_lr_numbers(kind, key, total):
    reference_opt = _optimizer(kind)
    reference = optim.lr_scheduler.OneCycleLR(reference_opt, max_lr=0.1, total_steps=total)
    ours_opt = _optimizer(kind)
    ours = TrainingSchedule(ours_opt, "onecycle", total)
    expected, got = _trace(reference, reference_opt, total, key), _trace(ours, ours_opt, total, key)
    assert got[0] == pytest.approx(expected[0], rel=1e-12)
    assert got[1] == pytest.approx(expected[1], rel=1e-12)


@pytest.mark.parametrize("kind, at, expected", [
    ("none", [0, 50, 99], [1, 1, 1]),
    ("step", [0, 49, 50, 74, 75, 99], [1, 1, 0.1, 0.1, 0.01, 0.01]),
    ("cosine", [0, 50, 100], [1, 0.5, 0]),
])
def test_closed_forms(kind, at, expected):
    assert [factor(kind, t, 100) for t in at] == pytest.approx(expected, abs=1e-12)


def test_warmup_rises_linearly_then_the_schedule_runs_over_the_rest():
    assert [factor("cosine", t, 110, warmup=10) for t in (0, 4, 9)] == \
        pytest.approx([0.1, 0.5, 1.0])
    assert factor("cosine", 10, 110, warmup=10) == pytest.approx(1.0)
    assert factor("cosine", 60, 110, warmup=10) == pytest.approx(0.5)
    assert factor("none", 3, 110, warmup=10) == pytest.approx(0.4)


def test_onecycle_takes_no_warmup():
    with pytest.raises(ValueError, match="onecycle warms up by itself"):
        TrainingSchedule(_optimizer(), "onecycle", 10, warmup_steps=2)
    with pytest.raises(ValueError, match="kind must be one of"):
        TrainingSchedule(_optimizer(), "linear", 10)


@pytest.mark.parametrize("kind", ["cosine", "onecycle", "step"])
def test_a_loaded_schedule_continues_at_its_step(kind):
    opt = _optimizer()
    first = TrainingSchedule(opt, kind, 40)
    for _ in range(13):
        opt.step()
        first.step()
    state = first.state_dict()
    assert state == {"last_epoch": 13, "_step_count": 14}

    same = TrainingSchedule(_optimizer(), kind, 40)           # the run resumed as it was
    same.load_state_dict(state)
    assert same.get_last_lr() == pytest.approx(first.get_last_lr(), rel=1e-12)

    longer_opt = _optimizer()
    longer = TrainingSchedule(longer_opt, kind, 80)            # extended to twice the epochs
    longer.load_state_dict(state)
    assert longer.last_epoch == 13
    assert longer.get_last_lr()[0] == pytest.approx(0.1 * factor(kind, 13, 80), rel=1e-12)
    longer_opt.step()
    longer.step()
    assert longer.get_last_lr()[0] == pytest.approx(0.1 * factor(kind, 14, 80), rel=1e-12)


def test_cosine_extended_restarts_higher_on_the_longer_curve():
    short, long = factor("cosine", 30, 40), factor("cosine", 30, 80)
    assert long > short and long == pytest.approx(0.5 * (1 + math.cos(math.pi * 30 / 80)))
