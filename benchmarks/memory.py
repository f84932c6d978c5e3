"""Peak memory of a training step, minicnn and PyTorch each in a fresh process.

    python -m benchmarks.memory resnet18_cifar minicnn [--steps 3] [--threads N]

The process imports only the library measured, builds the network, makes the batch, and
runs one warm-up step at batch 2 with a throwaway optimizer (kernels compiled or loaded,
lazy state set up); then, with the gradients and that optimizer dropped, it reads its
resident set (VmRSS) as the baseline, resets the kernel's high-water mark (writing 5 to
/proc/self/clear_refs) and runs `steps` training steps at the row's batch with a fresh
SGD(momentum) optimizer. The peak is the high-water mark (VmHWM) minus the baseline: the
activations kept for backward, gradients, momentum buffers, temporaries and any workspace
the library keeps. Where the mark cannot be reset, ru_maxrss (the peak since the process
started) stands in and the row says so. The weights start from each library's own seeded
initialisation: their values do not change the memory.
"""
import argparse
import gc
import json
import os
import resource
import subprocess
import sys

from .harness import LIBRARIES, apply_threads, set_threads
from .models import ROWS_BY_KEY, make_batch, sgd, training_step

STEPS = 3
WARMUP_BATCH = 2
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _status_mb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024       # "VmRSS:  123456 kB"
    raise OSError(f"no {field} in /proc/self/status")


def _reset_high_water_mark():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _max_rss_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024   # bytes there, KB here


def measure(row, library, steps=STEPS):
    """In this process: {baseline_mb, peak_mb, method} for `steps` training steps of `row`."""
    import importlib

    lib = importlib.import_module(library)
    lib.manual_seed(0)
    model = row.network(lib)
    model.train()
    x, labels = (lib.tensor(a) for a in make_batch(row))
    warm_x, warm_labels = (lib.tensor(a) for a in make_batch(row, WARMUP_BATCH))
    training_step(lib, model, sgd(lib, model), warm_x, warm_labels)
    model.zero_grad(set_to_none=True)
    gc.collect()
    baseline = _status_mb("VmRSS")
    reset = _reset_high_water_mark()
    optimizer = sgd(lib, model)
    for _ in range(steps):
        training_step(lib, model, optimizer, x, labels)
    peak = _status_mb("VmHWM") if reset else _max_rss_mb()
    method = ("VmHWM reset after the baseline" if reset else
              "ru_maxrss: the peak since the process started (could not reset VmHWM)")
    return {"baseline_mb": round(baseline, 1), "peak_mb": round(max(peak - baseline, 0.0), 1),
            "steps": steps, "method": method}


def _run_child(key, library, threads, steps):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (PACKAGE_ROOT, os.environ.get("PYTHONPATH")) if p))
    command = [sys.executable, "-m", "benchmarks.memory", key, library,
               "--threads", str(threads), "--steps", str(steps)]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmarks: the memory run of {key} with {library} failed "
                           f"(exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def peak_memory(rows, threads, steps=STEPS, progress=print):
    """One memory row per training row: both libraries' peaks and minicnn / torch."""
    results = []
    for row in rows:
        result = {"name": f"{row.name} train step", "key": row.key}
        for library in LIBRARIES:
            result[library] = _run_child(row.key, library, threads, steps)
        result["ratio"] = result["minicnn"]["peak_mb"] / max(result["torch"]["peak_mb"], 0.1)
        progress(f"  {result['name']} peak memory: {result['minicnn']['peak_mb']:.0f} MB / "
                 f"{result['torch']['peak_mb']:.0f} MB = {result['ratio']:.2f}×")
        results.append(result)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(ROWS_BY_KEY))
    parser.add_argument("library", choices=LIBRARIES)
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args(argv)
    set_threads(args.threads)
    apply_threads(args.threads, [args.library])
    print(json.dumps(measure(ROWS_BY_KEY[args.model], args.library, args.steps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
