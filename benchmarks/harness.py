"""Shared timing machinery: thread setup, the device, interleaved repeats, result rows.

Thread counts must be fixed before NumPy loads its BLAS, so `set_threads` is called
before anything imports numpy, minicnn or torch; `apply_threads` then sets the same count
at run time (which is what counts when numpy was already imported, as under `minicnn bench`).
"""
import importlib.util
import os
import statistics
import time
import traceback

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")
LIBRARIES = ("minicnn", "torch")
NO_NUMBA = "not installed"


def set_threads(n):
    """Give BLAS, Numba and PyTorch `n` threads through the environment (before imports);
    subprocesses inherit it."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(n)
    import minicnn  # noqa: F401  (first, so that its idle-thread policy precedes NumPy's BLAS)


def numba_installed():
    """Whether Numba is there: minicnn's CPU kernels need it, its GPU path does not, so a
    GPU machine without it still runs --device cuda."""
    return importlib.util.find_spec("numba") is not None


def apply_threads(n, libraries=LIBRARIES):
    """Set `n` threads at run time: minicnn's (Numba and BLAS; nothing to set without
    Numba) and PyTorch's."""
    if "minicnn" in libraries and numba_installed():
        import minicnn

        minicnn.set_num_threads(n)
    if "torch" in libraries:
        import torch

        torch.set_num_threads(n)


def effective_threads():
    """The thread counts in force: Numba's, each BLAS library's and PyTorch's."""
    import torch
    from threadpoolctl import threadpool_info

    blas = {pool["internal_api"]: pool["num_threads"] for pool in threadpool_info()
            if pool["user_api"] == "blas"}
    threads = {"numba": NO_NUMBA, "blas": blas, "torch": torch.get_num_threads()}
    if numba_installed():
        import numba

        threads["numba"] = numba.get_num_threads()
    return threads


def emulated():
    """Whether minicnn's GPU is the CPU emulation of CuPy (MINICNN_CUDA_EMULATE=1): a dry run
    of the GPU path whose timings measure nothing."""
    from minicnn.cuda_emulator import requested

    return requested()


def torch_device(device):
    """The device PyTorch runs on for `device`: the same one, except on minicnn's emulated
    GPU, where PyTorch has no GPU and runs on the CPU so that every row still runs."""
    return "cpu" if device == "cuda" and emulated() else device


def check_device(device):
    """SystemExit naming what is missing when `device` is "cuda" and a library sees no GPU
    (PyTorch needs none on minicnn's emulated GPU, see `torch_device`)."""
    if device == "cpu":
        return
    import torch

    import minicnn

    missing = []
    if not minicnn.cuda.is_available():
        missing.append(f"minicnn sees none (mc.cuda.is_available() is False: "
                       f"{minicnn.cuda.why_unavailable()})")
    if torch_device(device) == "cuda" and not torch.cuda.is_available():
        missing.append(f"PyTorch sees none (torch.cuda.is_available() is False; torch "
                       f"{torch.__version__} may be a CPU-only build)")
    if missing:
        raise SystemExit("benchmarks: --device cuda needs a CUDA GPU that both libraries can "
                         "use, but " + "; ".join(missing))


def use_full_float32(device):
    """On CUDA, PyTorch computes convolutions and matmuls in full float32, as minicnn and
    CuPy do: its default lets cuDNN round their inputs to TensorFloat-32 on Ampere and newer
    cards, which would compare a cheaper arithmetic against minicnn's."""
    if torch_device(device) != "cuda":
        return
    import torch

    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


def use_measured_selection(on):
    """cudnn.benchmark in both libraries: minicnn then times its convolution algorithms on
    each new call shape (during the warm-up runs) and keeps the fastest; PyTorch's flag does
    the same for cuDNN and changes nothing on the CPU."""
    import torch

    import minicnn as mc

    mc.backends.cudnn.benchmark = torch.backends.cudnn.benchmark = bool(on)


def synchronizer(device):
    """None on the CPU; on CUDA, a function that waits for both libraries' queued GPU work
    (called before each reading of the clock)."""
    if device == "cpu":
        return None
    import cupy
    import torch

    on_gpu = torch_device(device) == "cuda"

    def synchronize():
        cupy.cuda.Device().synchronize()
        if on_gpu:
            torch.cuda.synchronize()

    return synchronize


def time_interleaved(candidates, repeats, warmup, sync=None, settle=0.0):
    """Run each callable `warmup` times, then `repeats` rounds of A, B, A, B ...; return
    the per-candidate lists of seconds (so drift on a shared machine hits all alike).

    Before each timed call every core spins for `settle` seconds (untimed, `rest.py`), so
    that the previous candidate's idle threads are asleep: PyTorch's OpenMP threads spin for
    a while after each op, and a candidate started inside that window runs with a core
    taken."""
    if settle:
        from .rest import busy_rest             # Numba, so NumPy, only once threads are set
    for fn in candidates:
        for _ in range(warmup):
            fn()
    times = [[] for _ in candidates]
    for _ in range(repeats):
        for fn, bucket in zip(candidates, times):
            if settle:
                busy_rest(settle)
            if sync:
                sync()
            start = time.perf_counter()
            fn()
            if sync:
                sync()
            bucket.append(time.perf_counter() - start)
    return times


def summarize(seconds):
    return {"median_ms": 1e3 * statistics.median(seconds), "min_ms": 1e3 * min(seconds),
            "times_ms": [round(1e3 * s, 3) for s in seconds]}


def compare(suite, name, ours, theirs, repeats, warmup, sync=None, settle=0.0):
    """One result row: `ours` (minicnn) against `theirs` (PyTorch), timed interleaved."""
    mine, torch_times = time_interleaved([ours, theirs], repeats, warmup, sync, settle)
    a, b = summarize(mine), summarize(torch_times)
    return {"suite": suite, "name": name, "minicnn": a, "torch": b,
            "ratio": a["median_ms"] / b["median_ms"]}


def guarded(name, run_rows, failures, progress=print):
    """run_rows() → its rows. With `failures` a list, an exception does not end the run: it
    is reported through `progress` with its traceback, recorded in `failures` as
    {"name", "error"}, and no rows come back (so one broken row costs a GPU check one row,
    not the rest of its figures). With `failures` None the exception propagates."""
    if failures is None:
        return run_rows()
    try:
        return run_rows()
    except Exception as error:              # noqa: BLE001  (reported and recorded, not lost)
        failures.append({"name": name, "error": f"{type(error).__name__}: {error}"})
        progress(f"  {name}: FAILED\n{traceback.format_exc()}")
        return []


def selected(names, only):
    """The names containing one of the `only` substrings (all of them when `only` is empty)."""
    return [n for n in names if not only or any(key in n for key in only)]
