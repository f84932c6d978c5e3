"""Threads: grad mode belongs to each thread, as in PyTorch, and backward leaves every
thread's mode as it found it, even when it raises; two threads train at once, on every Numba
threading layer, each to the weights it reaches alone."""
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from small_training import plain_net, same_weights, train_alone_and_at_once

import minicnn as mc
import minicnn.kernels.cpu as cpu
from minicnn import threads as threads_module
from minicnn.autograd import Function
from minicnn.kernels.cpu.launch_guard import (concurrent_launches_allowed, guarded,
                                              launches_parallel_regions)
from minicnn.threads import parallel_for

WAIT = 30                                          # seconds; a broken handshake fails, not hangs
ROOT = Path(__file__).resolve().parents[2]


def _in_thread(target):
    """Run target() on a new thread; its result, or the exception it raised, re-raised here."""
    out = {}

    def run():
        try:
            out["value"] = target()
        except BaseException as error:                     # reported in the caller
            out["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive(), "the thread did not finish"
    if "error" in out:
        raise out["error"]
    return out.get("value")


def _records():
    """Whether an op on a tensor that requires grad records a graph in this thread."""
    x = mc.ones(3, requires_grad=True)
    return (x * 2).grad_fn is not None


def test_no_grad_in_one_thread_does_not_stop_another_from_recording():
    inside, leave = threading.Event(), threading.Event()

    def hold_no_grad():
        with mc.no_grad():
            inside.set()
            assert leave.wait(WAIT)
            return mc.is_grad_enabled()

    result = {}
    thread = threading.Thread(target=lambda: result.update(mode=hold_no_grad()))
    thread.start()
    try:
        assert inside.wait(WAIT)
        assert mc.is_grad_enabled()
        assert _records()
    finally:
        leave.set()
        thread.join(WAIT)
    assert result == {"mode": False}
    assert mc.is_grad_enabled()


@pytest.mark.parametrize("block", [mc.no_grad, mc.inference_mode,
                                   lambda: mc.set_grad_enabled(False)])
def test_new_thread_starts_enabled_while_the_main_thread_records_nothing(block):
    with block():
        assert not mc.is_grad_enabled()
        mode = _in_thread(lambda: (mc.is_grad_enabled(), mc.is_inference_mode_enabled(),
                                   _records()))
        assert not _records()
    assert mode == (True, False, True)
    assert mc.is_grad_enabled()


def test_set_grad_enabled_in_a_thread_switches_that_thread_only():
    def switch(mode):
        mc.set_grad_enabled(mode)
        return _records()

    assert _in_thread(lambda: switch(False)) is False
    assert _records()
    with mc.no_grad():
        assert _in_thread(lambda: switch(True)) is True
        assert not _records()


class _Fails(Function):
    """y = x; its backward raises once `go` is set."""

    @staticmethod
    def forward(ctx, x, go, entered):
        ctx.go, ctx.entered = go, entered
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        ctx.entered.set()
        assert ctx.go.wait(WAIT)
        raise ValueError("backward fails on purpose")


class _Waits(Function):
    """y = x; its backward lets a _Fails backward go and waits for it to finish."""

    @staticmethod
    def forward(ctx, x, go, finished):
        ctx.go, ctx.finished = go, finished
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        ctx.go.set()
        assert ctx.finished.wait(WAIT)
        return g


def test_exception_in_backward_leaves_grad_mode_enabled():
    x = mc.ones(2, requires_grad=True)
    loss = _Fails.apply(x, go=_set_event(), entered=threading.Event()).sum()
    with pytest.raises(ValueError, match="on purpose"):
        loss.backward()
    assert mc.is_grad_enabled()
    assert _records()


def test_backwards_in_two_threads_restore_each_threads_mode_when_one_raises():
    """The failing backward starts first and ends inside the other: each thread must come
    out recording (a process-wide switch ended disabled here)."""
    go, entered, finished = threading.Event(), threading.Event(), threading.Event()
    x = mc.ones(2, requires_grad=True)
    failing = _Fails.apply(x, go=go, entered=entered).sum()
    waiting = _Waits.apply(x, go=go, finished=finished).sum()

    def fail():
        try:
            failing.backward()
        except ValueError:
            return mc.is_grad_enabled(), _records()
        finally:
            finished.set()

    result = {}
    thread = threading.Thread(target=lambda: result.update(after=fail()))
    thread.start()
    assert entered.wait(WAIT)
    waiting.backward()
    thread.join(WAIT)
    assert result == {"after": (True, True)}
    assert mc.is_grad_enabled()
    assert _records()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_decorated_function_run_by_two_threads_at_once_restores_each_threads_mode():
    meet = threading.Barrier(2, timeout=WAIT)

    @mc.no_grad()
    def both_inside():
        meet.wait()
        recording = mc.is_grad_enabled()
        meet.wait()
        return recording

    with mc.no_grad():
        other = {}
        thread = threading.Thread(target=lambda: other.update(inside=both_inside(),
                                                              after=mc.is_grad_enabled()))
        thread.start()
        inside = both_inside()
        thread.join(WAIT)
        assert not mc.is_grad_enabled()
    assert (inside, other) == (False, {"inside": False, "after": True})
    assert mc.is_grad_enabled()


@pytest.mark.parametrize("decorator", [lambda: mc.no_grad, mc.no_grad, lambda: mc.inference_mode,
                                       mc.inference_mode, lambda: mc.set_grad_enabled(False)])
def test_decorators_apply_inside_and_recursion_restores_the_mode(decorator):
    """Each entry is given as a factory: set_grad_enabled(False) switches as it is made."""
    @decorator()
    def depth(n):
        inner = depth(n - 1) if n else True
        return inner and not mc.is_grad_enabled()

    assert depth(3)
    assert mc.is_grad_enabled()
    with mc.no_grad(), mc.enable_grad():
        assert depth(2) and mc.is_grad_enabled()


def test_inference_mode_matches_torch():
    torch = pytest.importorskip("torch")
    seen = {}
    for lib in (torch, mc):
        with lib.inference_mode():
            outer = (lib.is_grad_enabled(), lib.is_inference_mode_enabled())
            with lib.inference_mode(False):
                off = (lib.is_grad_enabled(), lib.is_inference_mode_enabled())
            with lib.enable_grad():
                enabled = (lib.is_grad_enabled(), lib.is_inference_mode_enabled())
        seen[lib.__name__] = outer, off, enabled, lib.is_inference_mode_enabled()
    assert seen["minicnn"] == seen["torch"]


def test_set_grad_enabled_takes_a_bool_only_as_torch_does():
    with pytest.raises(TypeError, match="set_grad_enabled: mode must be a bool, got int 1"):
        mc.set_grad_enabled(1)
    assert mc.is_grad_enabled()


def _set_event():
    event = threading.Event()
    event.set()
    return event


@pytest.fixture
def deterministic():
    """Deterministic mode inside the test: without it the weight-gradient sums depend on
    which thread ran which part, and two runs may differ in the last bits."""
    mc.use_deterministic_algorithms(True)
    yield
    mc.use_deterministic_algorithms(False)


def test_two_threads_train_at_once_to_the_weights_each_reaches_alone(deterministic):
    alone, together = train_alone_and_at_once(plain_net, seeds=(1, 2), steps=50)
    assert not same_weights(alone[0], alone[1])
    assert [same_weights(a, t) for a, t in zip(alone, together)] == [True, True]


def test_two_threads_train_at_once_on_numbas_workqueue_layer():
    """The workqueue layer terminates the process when two threads launch parallel kernels
    at once; minicnn must take them one at a time there."""
    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("small_training.py")),
                           "concurrent"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.splitlines()[-1]) == {"same": [True, True],
                                                        "layer": "workqueue"}


class _CountingBlas:
    """Stands for a BLAS library's thread control (OpenBLAS ignores a limit set from a
    thread other than the one that set it before, which would hide the sequence below)."""

    def __init__(self, threads):
        self.threads = threads

    def get_num_threads(self):
        return self.threads

    def set_num_threads(self, n):
        self.threads = n


def test_blas_comes_back_after_parallel_for_calls_that_overlap_in_two_threads(monkeypatch):
    """A enters parallel_for, B enters, A leaves, B leaves: BLAS stays on one thread until B
    leaves, and then comes back to its count (each call restoring what it found left BLAS
    on two threads inside B, then on one thread for good)."""
    blas = _CountingBlas(2)
    monkeypatch.setattr(threads_module, "_blas", [blas])
    before = mc.get_num_threads()
    mc.set_num_threads(2)
    a_inside, b_inside, a_done = threading.Event(), threading.Event(), threading.Event()
    seen_by_b = []

    def part_a(i):
        if i == 0:
            a_inside.set()
            assert b_inside.wait(WAIT)

    def part_b(i):
        if i == 0:
            b_inside.set()
            assert a_done.wait(WAIT)
            seen_by_b.append(blas.threads)

    def run_a():
        parallel_for(part_a, range(2))
        a_done.set()

    def run_b():
        assert a_inside.wait(WAIT)
        parallel_for(part_b, range(2))

    try:
        callers = [threading.Thread(target=run_a), threading.Thread(target=run_b)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(WAIT)
        assert (seen_by_b, blas.threads) == ([1], 2)
    finally:
        mc.set_num_threads(before)


def test_only_kernels_that_launch_parallel_regions_are_serialised_and_only_where_needed():
    parallel = ["batch_norm_forward", "depthwise_conv2d_grad_weight", "max_pool2d",
                "winograd_weight", "winograd5_weight", "layer_norm_backward", "softmax_rows", "relu"]
    serial = ["im2col", "col2im", "masked_softmax_rows", "winograd_input",
              "winograd4_output", "winograd5_input", "winograd5_output"]
    assert all(launches_parallel_regions(getattr(cpu, name)) for name in parallel)
    assert not any(launches_parallel_regions(getattr(cpu, name)) for name in serial)
    for name in serial:
        assert guarded(getattr(cpu, name)) is getattr(cpu, name)
    if concurrent_launches_allowed():
        assert guarded(cpu.max_pool2d) is cpu.max_pool2d
