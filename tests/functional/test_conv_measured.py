"""Measured algorithm selection (conv_measured.py, `mc.backends.cudnn.benchmark = True`): the
first call of a shape times every algorithm that computes it and keeps the fastest; later
calls of that shape take it without timing; the trials change nothing the caller holds; a
forced algorithm, deterministic mode and the reference kernels keep their own choice."""
import time

import numpy as np
import pytest
from conftest import random_array

import minicnn as mc
import minicnn.functional as F
from minicnn import trace_mode
from minicnn.functional import conv, conv_measured, conv_select

# input shape, weight shape, keyword arguments: calls that more than one algorithm computes
CALLS = {
    "winograd": ((4, 16, 8, 8), (8, 16, 3, 3), dict(padding=1)),
    "pointwise": ((2, 8, 6, 6), (6, 8, 1, 1), {}),
    "rgb_stem": ((2, 3, 15, 15), (8, 3, 7, 7), dict(stride=2, padding=3)),
    "grouped": ((2, 8, 7, 7), (8, 2, 3, 3), dict(padding=1, groups=4)),
}


@pytest.fixture
def benchmark():
    """cudnn.benchmark on, with no measured choice yet; off and forgotten afterwards."""
    conv_measured.clear()
    mc.backends.cudnn.benchmark = True
    yield
    mc.backends.cudnn.benchmark = False
    conv_measured.clear()


def _tensors(name, requires_grad=False):
    x_shape, w_shape, kwargs = CALLS[name]
    return (mc.tensor(random_array(x_shape, 0), requires_grad=requires_grad),
            mc.tensor(random_array(w_shape, 1), requires_grad=requires_grad),
            mc.tensor(random_array((w_shape[0],), 2), requires_grad=requires_grad), kwargs)


@pytest.fixture
def slowed(monkeypatch):
    """slow(*names): those algorithms' runners sleep first; returns the runs per name."""
    runs = {}

    def slow(*names, seconds=0.02):
        for name in names:
            runner = conv.RUNNERS[name]

            def sleeping(x, w, b, call, runner=runner, name=name):
                runs[name] = runs.get(name, 0) + 1
                time.sleep(seconds)
                return runner(x, w, b, call)
            monkeypatch.setitem(conv.RUNNERS, name, sleeping)
        return runs
    return slow


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("requires_grad", [False, True])
def test_measured_calls_compute_what_the_rules_compute(benchmark, name, requires_grad):
    x, w, b, kwargs = _tensors(name, requires_grad)
    mc.backends.cudnn.benchmark = False
    expected = F.conv2d(x, w, b, **kwargs)
    if requires_grad:
        expected.sum().backward()
        grads = [t.grad.numpy().copy() for t in (x, w, b)]
        for t in (x, w, b):
            t.grad = None
    mc.backends.cudnn.benchmark = True
    out = F.conv2d(x, w, b, **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-9,
                               atol=1e-9)
    choices = conv_measured.measured_choices()
    assert len(choices) == 1
    (key, choice), = choices.items()
    assert key[-2] == (requires_grad,) * 3
    assert choice in conv_select.ALGORITHMS and choice != "naive"
    if requires_grad:
        out.sum().backward()
        for t, g in zip((x, w, b), grads):
            np.testing.assert_allclose(t.grad.numpy(), g, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("fast", ["im2col", "grouped", "winograd_f4"])
def test_the_fastest_candidate_is_kept(benchmark, slowed, fast):
    x, w, b, kwargs = _tensors("winograd")
    with mc.no_grad():
        call = conv._conv2d_call(x, w, b, 1, 1, 1, 1)[2]
        names = conv_select.candidates(call, conv_select.rule_for(call).algorithm)
        assert fast in names and "naive" not in names and len(set(names)) == len(names)
        slowed(*[name for name in names if name != fast])
        assert F.conv_algorithm(x, w, padding=1) == fast


def _sleeping(seconds):
    """A trial `run(name)` that sleeps seconds[name], and the list of names it ran."""
    trials = []

    def run(name):
        trials.append(name)
        time.sleep(seconds[name])
    return run, trials


def test_fastest_measures_once_per_key_and_never_a_single_candidate():
    run, trials = _sleeping({"a": 0.004, "b": 0.0, "c": 0.002})

    assert conv_measured._measure(["a", "b", "c"], run) == "b"
    conv_measured.clear()
    key = ("test", 1)
    assert conv_measured.fastest(key, lambda: ["a", "b"], run) == "b"
    count = len(trials)
    assert conv_measured.fastest(key, lambda: ["a", "b"], run) == "b"
    assert len(trials) == count
    trials.clear()
    assert conv_measured.fastest(("test", 2), lambda: ["c"], run) == "c"
    assert trials == []
    conv_measured.clear()


def test_a_measured_shape_is_not_timed_again(benchmark, slowed):
    x, w, b, kwargs = _tensors("pointwise")
    runs = slowed("pointwise", "im2col", "grouped", seconds=0.0)
    with mc.no_grad():
        F.conv2d(x, w, b, **kwargs)
        measured = dict(runs)
        assert set(measured) == {"pointwise", "im2col", "grouped"}
        assert all(count >= 2 for count in measured.values())    # untimed + timed runs
        choice = F.conv_algorithm(x, w)
        F.conv2d(x, w, b, **kwargs)
    assert sum(runs.values()) == sum(measured.values()) + 1    # the last call only
    assert runs[choice] == measured[choice] + 1


def test_candidates_are_timed_in_rounds_and_one_far_slower_drops_out_after_a_round():
    run, trials = _sleeping({"best": 0.010, "close": 0.012, "far": 0.050})
    assert conv_measured._measure(["close", "far", "best"], run) == "best"
    rounds = ["close", "far", "best"] * 2 + ["close", "best"] * (conv_measured.TIMED_ROUNDS - 1)
    assert trials == rounds                      # untimed, then each round in turn


def test_training_and_inference_calls_are_measured_apart(benchmark):
    x, w, b, kwargs = _tensors("winograd", requires_grad=True)
    with mc.no_grad():
        F.conv2d(x, w, b, **kwargs)
    F.conv2d(x, w, b, **kwargs)
    F.conv2d(x.detach(), w, b, **kwargs)
    needs = sorted(key[-2] for key in conv_measured.measured_choices())
    assert needs == [(False, False, False), (False, True, True), (True, True, True)]


def test_the_trials_leave_the_callers_tensors_and_graph_as_they_were(benchmark):
    x, w, b, kwargs = _tensors("winograd", requires_grad=True)
    versions = [t._version for t in (x, w, b)]
    recorded = []
    with trace_mode.recording(lambda cls, inputs, params, result: recorded.append(cls)):
        out = F.conv2d(x, w, b, **kwargs)
    assert [t.grad for t in (x, w, b)] == [None, None, None]
    assert [t._version for t in (x, w, b)] == versions
    assert len(recorded) == 1 and out.grad_fn is not None
    out.sum().backward()
    assert all(t.grad is not None for t in (x, w, b))


def test_a_forced_algorithm_wins_over_benchmark(benchmark):
    x, w, b, kwargs = _tensors("winograd")
    with mc.conv_algorithm("im2col"), mc.no_grad():
        assert F.conv_algorithm(x, w, padding=1) == "im2col"
    assert conv_measured.measured_choices() == {}


def test_deterministic_mode_keeps_the_rules(benchmark):
    x, w, b, kwargs = _tensors("winograd")
    mc.use_deterministic_algorithms(True)
    try:
        with mc.no_grad():
            F.conv2d(x, w, b, **kwargs)
    finally:
        mc.use_deterministic_algorithms(False)
    assert conv_measured.measured_choices() == {}


def test_the_reference_kernels_keep_im2col(benchmark):
    x, w, b, kwargs = _tensors("winograd")
    with mc.set_kernels("reference"), mc.no_grad():
        assert F.conv_algorithm(x, w, padding=1) == "im2col"
    assert conv_measured.measured_choices() == {}


def test_a_kept_choice_that_cannot_compute_a_later_call_yields_to_the_rules(benchmark,
                                                                            slowed):
    x, w, b, kwargs = _tensors("winograd")
    slowed("im2col", "grouped")
    with mc.no_grad():
        assert F.conv_algorithm(x, w, padding=1).startswith("winograd")
        data = x.numpy().copy()
        data[0, 0, 3, 3] = np.inf                       # past Winograd's bound
        unbounded = mc.tensor(data)
        rule = conv_select.rule_for(conv._conv2d_call(unbounded, w, b, 1, 1, 1, 1)[2])
        assert not rule.algorithm.startswith("winograd")
        assert F.conv_algorithm(unbounded, w, padding=1) == rule.algorithm
        out = F.conv2d(unbounded, w, b, **kwargs)
        with mc.conv_algorithm(rule.algorithm):
            expected = F.conv2d(unbounded, w, b, **kwargs)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert np.isfinite(out.numpy()).sum() > out.numel() // 2


@pytest.mark.gpu
@pytest.mark.parametrize("requires_grad", [False, True])
def test_cuda_calls_are_measured_among_the_cuda_algorithms(benchmark, requires_grad):
    x, w, b, kwargs = _tensors("pointwise", requires_grad)
    expected = F.conv2d(x, w, b, **kwargs)
    x, w, b = (t.detach().to("cuda").requires_grad_(requires_grad) for t in (x, w, b))
    out = F.conv2d(x, w, b, **kwargs)
    on_cuda = [choice for key, choice in conv_measured.measured_choices().items()
               if key[0] == "cuda"]
    assert len(on_cuda) == 1 and on_cuda[0] in ("pointwise", "im2col")
    np.testing.assert_allclose(out.detach().cpu().numpy(), expected.detach().numpy(),
                               rtol=1e-10, atol=1e-10)
    if requires_grad:
        out.sum().backward()
        assert all(t.grad is not None and t.grad.device == x.device for t in (x, w, b))
