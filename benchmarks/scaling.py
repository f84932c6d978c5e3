"""Data-parallel scaling of a CIFAR ResNet-18 training step (benchmarks/README.md, "Scaling").

    python -m benchmarks.scaling [--batch 32] [--steps 6] [--json scaling.json]

Starts `mpiexec -n 1` and `mpiexec -n 2` on itself, one thread per process. Each job
times the training step (forward, backward, momentum SGD): alone without
DistributedDataParallel, or in DDP with its buckets (25 MiB, overlapping backward) and
with one bucket (sent once backward is over); it times how long each step waits in the
all-reduce, and the all-reduce alone for sizes up to the model's gradients. Then
scaling_model.py extrapolates to 8, 64 and 512 processes.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

THREADS = "1"
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "NUMBA_NUM_THREADS"):
    os.environ[_name] = THREADS

import numpy as np  # noqa: E402

import minicnn as mc  # noqa: E402
import minicnn.distributed as dist  # noqa: E402
import minicnn.functional as F  # noqa: E402
from minicnn.distributed import ReduceOp, arrays  # noqa: E402
from minicnn.nn.parallel import DistributedDataParallel  # noqa: E402

from . import model_defs, scaling_model  # noqa: E402

WARMUP = 2
ONE_BUCKET_MB = 1024
ALLREDUCE_BYTES = (4 << 10, 64 << 10, 1 << 20, 8 << 20, 32 << 20)
MODEL_COUNTS = (1, 2, 8, 64, 512)
# between machines, where nothing is measured here: 25 Gb/s Ethernet with MPI
ETHERNET_LATENCY, ETHERNET_BANDWIDTH = 20e-6, 2.5e9
BACKWARD_SHARE = 2 / 3          # of a step's compute: backward costs about twice forward
GLOBAL_BATCH = 256              # the strong-scaling table's


def _batch(size, seed):
    rng = np.random.default_rng(seed)
    return (mc.tensor(rng.standard_normal((size, 3, 32, 32)).astype(np.float32)),
            mc.tensor(rng.integers(0, 10, size)))


class _Waits:
    """Wraps a reducer's finish (queued at the end of each backward) to add up its time."""

    def __init__(self, reducer):
        self.seconds = 0.0
        self._finish = reducer.finish
        reducer.finish = self

    def __call__(self):
        started = time.perf_counter()
        self._finish()
        self.seconds += time.perf_counter() - started


def time_steps(batch, steps, bucket_cap_mb=None):
    """Median seconds of a step and of its wait in the all-reduce (None: no DDP)."""
    mc.manual_seed(0)
    model = model_defs.resnet18_cifar(mc)
    waits = None
    if bucket_cap_mb is not None:
        model = DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb)
        waits = _Waits(model.reducer)
    opt = mc.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = _batch(batch, dist.get_rank())
    step_times, wait_times = [], []
    for i in range(WARMUP + steps):
        before = waits.seconds if waits else 0.0
        started = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        if i >= WARMUP:
            step_times.append(time.perf_counter() - started)
            wait_times.append((waits.seconds if waits else 0.0) - before)
    nbytes = sum(p.numel() * p.element_size() for p in model.parameters())
    return statistics.median(step_times), statistics.median(wait_times), nbytes


def time_allreduce(repeats=8):
    """(bytes, median seconds) of a float32 all-reduce of each size in ALLREDUCE_BYTES."""
    points = []
    for nbytes in ALLREDUCE_BYTES:
        buffer = np.ones(nbytes // 4, dtype=np.float32)
        times = []
        for i in range(WARMUP + repeats):
            dist.barrier()
            started = time.perf_counter()
            arrays.all_reduce(buffer, "benchmark", ReduceOp.SUM)
            if i >= WARMUP:
                times.append(time.perf_counter() - started)
        points.append((nbytes, statistics.median(times)))
    return points


def measure(batch, steps, out):
    """One job's measurements (rank 0 writes them to `out`)."""
    dist.init_process_group("mpi")
    mc.set_num_threads(int(THREADS))
    n = dist.get_world_size()
    result = {"processes": n, "batch": batch, "steps": steps, "load": os.getloadavg()}
    if n == 1:
        result["alone"] = time_steps(batch, steps)
        result["alone_quarter_batch"] = time_steps(batch // 4, steps)
    result["overlap"] = time_steps(batch, steps, bucket_cap_mb=25)
    result["one_bucket"] = time_steps(batch, steps, bucket_cap_mb=ONE_BUCKET_MB)
    if n > 1:
        result["allreduce"] = time_allreduce()
    if dist.get_rank() == 0:
        with open(out, "w") as f:
            json.dump(result, f)
    dist.destroy_process_group()


def _job(n, batch, steps):
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "result.json")
        subprocess.run([dist.find_mpiexec(), "-n", str(n), sys.executable, "-m",
                        "benchmarks.scaling", "--batch", str(batch), "--steps", str(steps),
                        "--out", out], check=True)
        with open(out) as f:
            return json.load(f)


def report(one, two):
    """The measured table and the model's, as text."""
    lines = [f"CIFAR ResNet-18 training step, batch {one['batch']} per process, 1 thread "
             f"per process; load average {one['load'][0]:.1f} / {two['load'][0]:.1f}", "",
             "| processes | mode | step (s) | images/s | waiting in all-reduce |",
             "|---|---|---|---|---|"]
    rows = [(1, "alone, no DDP", one["alone"]), (1, "DDP, buckets", one["overlap"]),
            (2, "DDP, 25 MiB buckets overlapping backward", two["overlap"]),
            (2, "DDP, one bucket after backward", two["one_bucket"])]
    for n, mode, (step, wait, _) in rows:
        lines.append(f"| {n} | {mode} | {step:.3f} | {n * one['batch'] / step:.1f} | "
                     f"{100 * wait / step:.1f}% |")
    latency, bandwidth = scaling_model.fit_allreduce(two["allreduce"])
    step, _, nbytes = one["alone"]
    quarter = one["alone_quarter_batch"][0]
    lines += ["", f"all-reduce between 2 processes: latency {latency * 1e6:.1f} us, bandwidth "
              f"{bandwidth / 1e9:.2f} GB/s; gradients {nbytes / 2**20:.1f} MiB; step compute "
              f"{step:.3f} s (batch {one['batch']}), {quarter:.3f} s (batch "
              f"{one['batch'] // 4})"]
    buckets = max(1, round(nbytes / (25 * 2**20)))
    for where, (a, b) in (("one machine (measured)", (latency, bandwidth)),
                          ("25 GbE between machines (assumed)",
                           (ETHERNET_LATENCY, ETHERNET_BANDWIDTH))):
        lines += ["", f"model, {where}:", "| processes | global batch | images/s | "
                  "efficiency | images/s without overlap |", "|---|---|---|---|---|"]
        for p, g, rate, eff, without in scaling_model.predictions(
                MODEL_COUNTS, one["batch"], step, BACKWARD_SHARE, nbytes, a, b, buckets):
            lines.append(f"| {p} | {g} | {rate:.0f} | {100 * eff:.0f}% | {without:.0f} |")
        line = scaling_model.compute_line(one["batch"], step, one["batch"] // 4, quarter)
        lines += ["", f"| processes | global batch {GLOBAL_BATCH}: per process | images/s | "
                  f"efficiency |", "|---|---|---|---|"]
        for p, per, rate, eff in scaling_model.fixed_global_batch(
                MODEL_COUNTS, GLOBAL_BATCH, line, BACKWARD_SHARE, nbytes, a, b, buckets):
            lines.append(f"| {p} | {per:g} | " + ("— | — |" if rate is None else
                                                  f"{rate:.0f} | {100 * eff:.0f}% |"))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaling")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--json", help="also write both jobs' measurements here")
    parser.add_argument("--report", metavar="JSON",
                        help="print the tables of measurements saved with --json, measuring "
                             "nothing")
    parser.add_argument("--out", help=argparse.SUPPRESS)     # a job's own result file
    args = parser.parse_args(argv)
    if dist.launched_world_size() is not None:
        measure(args.batch, args.steps, args.out)
        return 0
    if args.report:
        with open(args.report) as f:
            saved = json.load(f)
        print(report(saved["one"], saved["two"]))
        return 0
    one, two = _job(1, args.batch, args.steps), _job(2, args.batch, args.steps)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"one": one, "two": two}, f, indent=1)
    print(report(one, two))
    return 0


if __name__ == "__main__":
    sys.exit(main())
