"""Regression guards: absurd sizes fail fast, training does not grow memory, a 100,000-op
graph backpropagates, and a checkpoint killed at any moment of its write stays loadable.

The kill guard adds what tests/io/test_atomic.py (a write stalled midway, then killed, and
its temporary file cleaned up) and tests/train/test_resume.py (a run killed mid-epoch
resumes exactly) leave open: SIGKILL at arbitrary moments of real writes, fsync and
rename included. The size and memory guards run in child processes: one with an address
space limit, so that a size the library fails to refuse cannot exhaust the machine, and
one started fresh, so that its resident set is the training loop's own.
"""
import gc
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import weakref

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim
from minicnn.data import DataLoader, TensorDataset
from minicnn.train import load_checkpoint, save_checkpoint

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
needs_proc = pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                                reason="reads the process's memory from /proc/self/statm")
needs_sigkill = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def _run_child(code, *args, timeout=240):
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=ENV)


# --- absurd sizes ----------------------------------------------------------------------------

# name: (statement, the op named in the error, a number of the size named in the error)
ABSURD = {
    "zeros": ("mc.zeros(10**12)", "zeros", "1000000000000"),
    "ones": ("mc.ones(10**6, 10**7)", "ones", "10000000"),
    "empty": ("mc.empty((10**12,))", "empty", "1000000000000"),
    "full": ("mc.full((10**12,), 1.5)", "full", "1000000000000"),
    "rand": ("mc.rand(10**13)", "rand", "10000000000000"),
    "randn": ("mc.randn(2**40, 2**40)", "randn", str(2**40)),
    "randint": ("mc.randint(0, 10, (10**13,))", "randint", "10000000000000"),
    "randperm": ("mc.randperm(10**13)", "randperm", "10000000000000"),
    "eye": ("mc.eye(10**8)", "eye", "100000000"),
    "Linear": ("nn.Linear(10**9, 10**9)", "Linear", "1000000000"),
    "Conv2d": ("nn.Conv2d(10**5, 10**5, 1000)", "Conv2d", "100000"),
    "Embedding": ("nn.Embedding(10**12, 1000)", "Embedding", "1000000000000"),
    # the output is 1.6 GB, one image's im2col columns (1,048,576 rows) 1.6 PB
    "conv2d columns": ("F.conv2d(mc.randn(1, 65536, 4, 4), mc.randn(1, 65536, 4, 4), "
                       "padding=10**4)", "conv2d", "1048576"),
    "conv2d output": ("F.conv2d(mc.randn(1, 1, 4, 4), mc.randn(1, 1, 3, 3), padding=10**7)",
                      "conv2d", "20000002"),
    "conv2d winograd": ("F.conv2d(mc.randn(1, 64, 4, 4), mc.randn(64, 64, 3, 3), "
                        "padding=10**6)", "conv2d", "2000002"),
    "conv_transpose2d": ("F.conv_transpose2d(mc.randn(1, 1, 4, 4), mc.randn(1, 1, 3, 3), "
                         "stride=10**7)", "conv_transpose2d", "30000003"),
    "interpolate size": ("F.interpolate(mc.randn(1, 3, 8, 8), size=(10**9, 10**9))",
                         "interpolate", "1000000000"),
    "interpolate scale": ("F.interpolate(mc.randn(1, 3, 8, 8), scale_factor=10**5, "
                          "mode='bilinear')", "interpolate", "800000"),
    "pad": ("F.pad(mc.randn(1, 1, 4, 4), (10**7,) * 4)", "pad", "20000004"),
    "repeat": ("mc.randn(4, 4).repeat(10**6, 10**6)", "repeat", "4000000"),
    "one_hot": ("F.one_hot(mc.tensor([1, 2]), num_classes=10**12)", "one_hot",
                "1000000000000"),
}

# Imports minicnn, limits the address space to what it holds now plus 2 GiB, then runs
# every statement of argv[1] (a JSON object) and prints one JSON line per statement. A
# "start" line comes first, so a statement that kills the process is named.
ABSURD_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    import minicnn as mc
    import minicnn.functional as F
    from minicnn import nn

    with open("/proc/self/statm") as f:
        held = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (held + 2 ** 31, resource.RLIM_INFINITY))
    for name, statement in json.loads(sys.argv[1]).items():
        print(json.dumps({"start": name}), flush=True)
        start = time.perf_counter()
        try:
            exec(statement)
            error = None
        except Exception as e:
            error = [type(e).__name__, str(e)]
        print(json.dumps({"name": name, "error": error,
                          "seconds": time.perf_counter() - start}), flush=True)
""")


@pytest.fixture(scope="module")
def absurd_results():
    statements = {name: case[0] for name, case in ABSURD.items()}
    proc = _run_child(ABSURD_CHILD, json.dumps(statements))
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.endswith("}")]
    results = {line["name"]: line for line in lines if "name" in line}
    started = [line["start"] for line in lines if "start" in line]
    return results, started, proc


@needs_proc
@pytest.mark.parametrize("name", list(ABSURD))
def test_an_absurd_size_fails_fast_naming_the_op_and_the_size(absurd_results, name):
    results, started, proc = absurd_results
    assert name in results, (f"the child died (status {proc.returncode}) while running "
                             f"{started[-1] if started else 'its imports'}: "
                             f"{proc.stderr[-2000:]}")
    statement, op, size = ABSURD[name]
    result = results[name]
    assert result["error"] is not None, f"{statement} raised nothing"
    kind, message = result["error"]
    assert kind in ("MemoryError", "ValueError"), f"{statement}: {kind}: {message}"
    assert message.startswith(f"{op}:") and size in message, message
    assert result["seconds"] < 1.0, f"{statement} took {result['seconds']:.2f} s to fail"


@pytest.mark.parametrize("shuffle", [False, True])
def test_a_batch_size_beyond_the_dataset_gives_one_batch_like_pytorch(shuffle):
    data = TensorDataset(mc.arange(30).reshape(10, 3), mc.arange(10))
    loader = DataLoader(data, batch_size=10**12, shuffle=shuffle, seed=0)
    [(x, y)] = list(loader)
    assert len(loader) == 1 and sorted(y.tolist()) == list(range(10))
    np.testing.assert_array_equal(x.numpy(), np.arange(30).reshape(10, 3)[y.numpy()])
    dropped = DataLoader(data, batch_size=10**12, shuffle=shuffle, drop_last=True)
    assert len(dropped) == 0 and list(dropped) == []


# --- memory over a training run --------------------------------------------------------------

WARM_UP_STEPS, MEASURED_STEPS = 50, 300
# A leak of one step's activations or graph (a kept loss, a list that grows) costs kilobytes
# per step; what Python objects come and go between measurements (thread-local scratch, the
# loader's epoch) stays well under these.
TRACED_GROWTH_LIMIT = 64 * 1024
# The resident set moves with the allocator's pages, so its bound is looser: a leak of
# 14 KiB per step of memory that tracemalloc does not see (a C extension's) still exceeds it.
RSS_GROWTH_LIMIT = 4 * 2 ** 20

# Trains a small conv net (conv, batch norm, pooling, linear, Adam, a DataLoader over
# epochs, an evaluation under no_grad every 25 steps) and prints the growth of the memory
# traced by tracemalloc and of the resident set over the measured steps.
TRAINING_CHILD = textwrap.dedent("""
    import gc, json, os, sys, tracemalloc
    import minicnn as mc
    import minicnn.functional as F
    from minicnn import nn, optim
    from minicnn.data import DataLoader, TensorDataset

    warm_up, measured = int(sys.argv[1]), int(sys.argv[2])
    PAGE = os.sysconf("SC_PAGE_SIZE")

    def resident():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE

    mc.manual_seed(0)
    x, y = mc.randn(48, 1, 8, 8), mc.randint(0, 10, (48,))
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(4, 8, 3), nn.ReLU(), nn.Flatten(),
                          nn.Linear(8 * 2 * 2, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    batches = iter(())
    step = 0

    def train(n):
        global batches, step
        for _ in range(n):
            batch = next(batches, None)
            if batch is None:
                batches = iter(loader)
                batch = next(batches)
            loss = F.cross_entropy(model(batch[0]), batch[1])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % 25 == 0:
                model.eval()
                with mc.no_grad():
                    model(x[:8])
                model.train()

    tracemalloc.start()
    train(warm_up)
    gc.collect()
    traced, rss = tracemalloc.get_traced_memory()[0], resident()
    train(measured)
    gc.collect()
    print(json.dumps({"traced": tracemalloc.get_traced_memory()[0] - traced,
                      "rss": resident() - rss}))
""")


@needs_proc
def test_training_steps_do_not_grow_memory():
    proc = _run_child(TRAINING_CHILD, WARM_UP_STEPS, MEASURED_STEPS)
    assert proc.returncode == 0, proc.stderr[-3000:]
    growth = json.loads(proc.stdout.splitlines()[-1])
    assert growth["traced"] < TRACED_GROWTH_LIMIT, (
        f"{growth['traced']:,} bytes of Python objects more after {MEASURED_STEPS} steps")
    assert growth["rss"] < RSS_GROWTH_LIMIT, (
        f"the resident set grew by {growth['rss']:,} bytes over {MEASURED_STEPS} steps")


# --- a deep graph ----------------------------------------------------------------------------

DEPTH = 100_000


def test_a_graph_of_100k_ops_backpropagates_and_is_freed():
    """A chain of 100,000 elementwise ops: backward visits it without recursion, in time
    linear in its length (a small multiple of the forward pass), with the exact gradient,
    and dropping it afterwards frees it without recursion either."""
    x = mc.tensor([0.5, -1.0, 2.0, 3.0], dtype=mc.float64, requires_grad=True)
    scale = 1.00004
    start = time.perf_counter()
    y = x
    for i in range(DEPTH):
        kind = i % 4
        y = y * scale if kind == 0 else y + 0.5 if kind == 1 else -y if kind == 2 else y - 0.25
    forward = time.perf_counter() - start
    start = time.perf_counter()
    y.sum().backward()
    backward = time.perf_counter() - start
    # 25,000 multiplications by `scale` and an even number of negations
    np.testing.assert_allclose(x.grad.numpy(), np.full(4, scale ** (DEPTH // 4)), rtol=1e-9)
    assert backward < 5 * forward + 1.0, f"forward {forward:.1f} s, backward {backward:.1f} s"
    root = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert root() is None


# --- a checkpoint killed at any moment --------------------------------------------------------

KILLS = 3

# Writes checkpoints of a 4 MB model one after another, each with every weight equal to its
# epoch, and prints the epoch of each one written.
CHECKPOINT_WRITER = textwrap.dedent("""
    import sys
    import minicnn as mc
    from minicnn import nn, optim
    from minicnn.train import save_checkpoint

    model = nn.Linear(1000, 1000)
    opt = optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10 ** 6):
        for p in model.parameters():
            p._data[...] = epoch
        save_checkpoint(sys.argv[1], model, opt, None, epoch, 0, epoch, mc.get_rng_state(), [])
        print(epoch, flush=True)
""")


@needs_sigkill
def test_a_checkpoint_killed_at_any_moment_of_its_write_stays_loadable(tmp_path):
    moments = random.Random(0)
    for kill in range(KILLS):
        path = tmp_path / f"run{kill}" / "checkpoint.npz"
        path.parent.mkdir()
        writer = subprocess.Popen([sys.executable, "-c", CHECKPOINT_WRITER, str(path)],
                                  stdout=subprocess.PIPE, text=True, env=ENV)
        try:
            first = writer.stdout.readline()
            assert first == "0\n", f"the writer printed {first!r} before its first checkpoint"
            start = time.perf_counter()
            assert writer.stdout.readline() == "1\n"
            per_write = time.perf_counter() - start
            time.sleep(moments.uniform(0, 3 * per_write))
        finally:
            writer.kill()
            writer.wait()
            writer.stdout.close()
        assert writer.returncode == -signal.SIGKILL
        model = nn.Linear(1000, 1000)
        opt = optim.SGD(model.parameters(), lr=0.1)
        epoch = load_checkpoint(path, model, opt, None)["epoch"]
        assert epoch >= 1
        for p in model.parameters():          # one whole checkpoint, not two spliced
            assert np.all(p._data == epoch)
        save_checkpoint(path, model, opt, None, epoch + 1, 0, 0, mc.get_rng_state(), [])
        assert sorted(os.listdir(path.parent)) == ["checkpoint.npz"]
