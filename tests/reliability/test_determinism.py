"""Deterministic mode: with mc.use_deterministic_algorithms(True), training gives the same
bits at any thread count and run after run."""
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from small_training import conv_paths_net, digest, make_run, train
from threadpoolctl import threadpool_info

import minicnn as mc
from minicnn.functional.workspace import batch_chunks
from minicnn.kernels.cpu import depthwise_conv2d_grad_weight, layer_norm_backward
from minicnn.threads import ThreadSums, parallel_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def deterministic():
    before = mc.get_num_threads()
    mc.use_deterministic_algorithms(True)
    yield mc.set_num_threads
    mc.use_deterministic_algorithms(False)
    mc.set_num_threads(before)


def _trained_digest():
    return digest(train(*make_run(conv_paths_net, 0), steps=3))


def test_training_gives_the_same_bits_at_one_two_and_three_threads(deterministic):
    digests = []
    for threads in (1, 2, 3, 2):
        deterministic(threads)
        digests.append(_trained_digest())
    assert len(set(digests)) == 1


def test_a_fresh_process_on_two_threads_trains_to_the_same_bits(deterministic):
    deterministic(1)
    expected = _trained_digest()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [
        str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("small_training.py")),
                           "weights", "2"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.splitlines()[-1])["digest"] == expected


def _order_sensitive_sum(parts):
    """Σ over parts of float32 terms whose rounding depends on the order they are added in."""
    rng = np.random.default_rng(0)
    terms = (rng.standard_normal((parts, 64)) * 10.0 ** rng.integers(-4, 5, (parts, 1))) \
        .astype(np.float32)
    sums = ThreadSums(lambda: np.empty(64, dtype=np.float32))

    def part(i):
        time.sleep(0.001)                                # every thread gets parts to run
        sums.add(lambda out: np.copyto(out, terms[i]))

    parallel_for(part, range(parts))
    return sums.total()


@pytest.mark.parametrize("parts", [1, 5, 8, 37])
def test_thread_sums_add_the_same_bits_whichever_thread_runs_a_part(deterministic, parts):
    totals = []
    for threads in (1, 2, 3, 1, 2):
        deterministic(threads)
        totals.append(_order_sensitive_sum(parts))
    for total in totals[1:]:
        np.testing.assert_array_equal(total, totals[0])


@pytest.fixture
def default_mode():
    before = mc.get_num_threads()
    yield mc.set_num_threads
    mc.set_num_threads(before)


@pytest.mark.parametrize("parts", [5, 37])
def test_thread_sums_repeat_in_default_mode_whichever_thread_runs_a_part(default_mode, parts):
    """Without deterministic mode too, a sum is kept per run of parts, not per thread: which
    thread takes which run (here shuffled by random delays) changes no bit, and up to
    FIXED_RUNS threads the runs, so the sums, are the same at every thread count."""
    rng = np.random.default_rng(1)
    totals = []
    for threads in (2, 2, 2, 1, 3):
        default_mode(threads)
        delays = rng.uniform(0, 0.003, parts)
        terms = np.random.default_rng(0).standard_normal((parts, 64)).astype(np.float32) \
            * np.float32(10.0) ** np.random.default_rng(0).integers(-4, 5, (parts, 1))
        sums = ThreadSums(lambda: np.empty(64, dtype=np.float32))

        def part(i):
            time.sleep(delays[i])
            sums.add(lambda out: np.copyto(out, terms[i]))

        parallel_for(part, range(parts))
        totals.append(sums.total())
    for total in totals[1:]:
        np.testing.assert_array_equal(total, totals[0])


def test_conv_weight_gradients_repeat_run_after_run_on_two_threads(default_mode):
    """The weight gradient of a convolution whose batch is cut into many chunks (more than
    threads), computed again and again at two threads: the same bits every time."""
    default_mode(2)
    rng = np.random.default_rng(0)
    x = mc.tensor(rng.standard_normal((32, 8, 40, 40)).astype(np.float32))
    w = rng.standard_normal((8, 8, 5, 5)).astype(np.float32)
    g = mc.tensor(rng.standard_normal((32, 8, 36, 36)).astype(np.float32))
    grads = set()
    for _ in range(6):
        weight = mc.tensor(w, requires_grad=True)
        mc.nn.functional.conv2d(x, weight).backward(g)
        grads.add(weight.grad.numpy().tobytes())
    assert len(grads) == 1


@pytest.mark.parametrize("n", [1, 7, 32, 100])
def test_batch_chunks_do_not_depend_on_the_thread_count(deterministic, n):
    chunks = []
    for threads in (1, 2, 3):
        deterministic(threads)
        chunks.append(batch_chunks(n, 4096, min_images=2))
    assert chunks[0] == chunks[1] == chunks[2]


def test_kernel_partial_sums_do_not_depend_on_numbas_thread_count(deterministic):
    """LayerNorm's dγ, dβ and the channels-last depthwise dW add per-run partial sums (in
    float64, where a float64 result shows every change of grouping)."""
    rng = np.random.default_rng(1)
    rows = rng.standard_normal((300, 48)) * 10.0 ** rng.integers(-3, 4, (300, 1))
    g = rng.standard_normal((300, 48))
    mean = rows.mean(axis=1)
    rstd = 1 / rows.std(axis=1)
    weight = rng.standard_normal(48)
    x = rng.standard_normal((40, 64, 4, 4)) * 10.0 ** rng.integers(-3, 4, (40, 1, 1, 1))
    gy = rng.standard_normal((40, 64, 4, 4))
    results = []
    for threads in (1, 2):
        deterministic(threads)
        _, dw, db = layer_norm_backward(g, rows, mean, rstd, weight)
        dk = depthwise_conv2d_grad_weight(x, gy, (64, 1, 3, 3), 1, 1, 1)
        results.append((dw, db, dk))
    for first, second in zip(*results):
        np.testing.assert_array_equal(first, second)


def _blas_threads():
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_deterministic_mode_holds_blas_to_one_thread_and_gives_it_back():
    before = mc.get_num_threads()
    mc.set_num_threads(2)
    try:
        assert not mc.are_deterministic_algorithms_enabled()
        mc.use_deterministic_algorithms(True)
        assert mc.are_deterministic_algorithms_enabled()
        assert set(_blas_threads()) <= {1}
        mc.set_num_threads(2)
        assert set(_blas_threads()) <= {1}
        mc.use_deterministic_algorithms(False)
        assert not mc.are_deterministic_algorithms_enabled()
        assert set(_blas_threads()) <= {2}
    finally:
        mc.use_deterministic_algorithms(False)
        mc.set_num_threads(before)


def test_deterministic_mode_asked_for_in_another_thread_holds_blas_or_says_it_cannot():
    """OpenBLAS can ignore a thread limit set outside the main thread: deterministic mode
    must then refuse, not stay on with BLAS on several threads."""
    rng = np.random.default_rng(2)
    a = rng.standard_normal((16, 1000)).astype(np.float32)
    b = rng.standard_normal((1000, 100)).astype(np.float32)
    before = mc.get_num_threads()
    mc.set_num_threads(1)
    one_thread = a @ b
    mc.set_num_threads(2)
    seen = {}

    def ask():
        try:
            mc.use_deterministic_algorithms(True)
        except RuntimeError as error:
            seen["error"] = str(error)
        seen["on"] = mc.are_deterministic_algorithms_enabled()
        seen["same"] = np.array_equal(a @ b, one_thread)

    try:
        worker = threading.Thread(target=ask)
        worker.start()
        worker.join(60)
        if "error" in seen:
            assert "call it from the main thread" in seen["error"] and not seen["on"]
        else:
            assert seen["on"] and seen["same"]
    finally:
        mc.use_deterministic_algorithms(False)
        mc.set_num_threads(before)


@pytest.mark.parametrize("args, kwargs, message", [
    ((1,), {}, "mode must be a bool, got int 1"),
    (("yes",), {}, "mode must be a bool, got str 'yes'"),
    ((True,), {"warn_only": None}, "warn_only must be a bool, got NoneType None"),
])
def test_use_deterministic_algorithms_takes_bools_only_as_torch_does(args, kwargs, message):
    with pytest.raises(TypeError, match=f"use_deterministic_algorithms: {message}"):
        mc.use_deterministic_algorithms(*args, **kwargs)
    assert not mc.are_deterministic_algorithms_enabled()


def test_warn_only_is_reported_as_in_torch():
    try:
        mc.use_deterministic_algorithms(True, warn_only=True)
        assert mc.are_deterministic_algorithms_enabled()
        assert mc.is_deterministic_algorithms_warn_only_enabled()
    finally:
        mc.use_deterministic_algorithms(False)
    assert not mc.is_deterministic_algorithms_warn_only_enabled()
