"""Shared timing machinery: thread setup, interleaved repeats, machine description, tables.

Thread counts must be fixed before NumPy loads its BLAS, so `set_threads` is called
before anything imports numpy, minicnn or torch.
"""
import os
import platform
import statistics
import time

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


def set_threads(n):
    """Give BLAS, Numba and (once imported) PyTorch the same number of threads."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(n)


def apply_torch_threads(torch, n):
    torch.set_num_threads(n)


def time_interleaved(candidates, repeats, warmup, sync=None):
    """Run each callable `warmup` times, then `repeats` rounds of A, B, A, B ...; return
    the per-candidate lists of seconds (so drift on a shared machine hits all alike)."""
    for fn in candidates:
        for _ in range(warmup):
            fn()
    times = [[] for _ in candidates]
    for _ in range(repeats):
        for fn, bucket in zip(candidates, times):
            if sync:
                sync()
            start = time.perf_counter()
            fn()
            if sync:
                sync()
            bucket.append(time.perf_counter() - start)
    return times


def summarize(seconds):
    return {"median_ms": 1e3 * statistics.median(seconds), "min_ms": 1e3 * min(seconds)}


def machine_description():
    """CPU model, core count and SIMD flags (from /proc/cpuinfo where available)."""
    model, flags = platform.processor() or "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model in ("unknown", "", "x86_64"):
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    simd = [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni") if f in flags]
    return {"cpu": model, "cores": os.cpu_count(), "simd": simd,
            "python": platform.python_version()}


def markdown_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
