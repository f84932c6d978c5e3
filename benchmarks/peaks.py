"""What "fast" means on this machine: the measured float32 GEMM and FMA rates.

sgemm: NumPy's float32 matmul (the BLAS minicnn calls) on a square shape and on the GEMM
of a 3×3 convolution, best of a few runs, 2·M·K·N flops each.

FMA: a Numba loop of x[j] = x[j]·a + b over independent float32 lanes, twelve vectors of
them, one loop per thread, all threads at once, best of many short runs (a run that loses
its core on a busy machine is simply not the best). Twelve independent chains hide the FMA
latency on two FMA pipes while fitting in the 16 AVX2 registers. The loop runs at the
widest vectors the CPU has: LLVM's tuning for AVX-512 CPUs prefers 256-bit vectors, so on
those the loop is compiled and timed in a child process whose Numba targets the host with
that preference lifted ("-prefer-256-bit"), and 512-bit vectors, sixteen lanes each. The
rate is reported only when the compiled loop is verifiably packed vector FMAs on registers
of that width.

`python -m benchmarks.peaks THREADS` prints the FMA measurement of this process's Numba
target as JSON: {"gflops", "note", "vector_bits"}.
"""
import json
import os
import re
import subprocess
import sys
import threading
import time

import numpy as np
from numba import config, njit

SGEMM_SHAPES = {  # name → (M, K, N)
    "2048×2048 · 2048×2048": (2048, 2048, 2048),
    "conv3x3 N32 64→64 32² as W·cols: 64×576 · 576×32768": (64, 576, 32768),
}
WIDE_FEATURE = "-prefer-256-bit"     # the LLVM tuning flag that lifts the 256-bit preference
VECTOR_BITS = 512 if (config.CPU_FEATURES or "").endswith(WIDE_FEATURE) else 256
FMA_VECTOR_WIDTH = VECTOR_BITS // 32  # float32 lanes of one vector
FMA_CHAINS = 12
FMA_LANES = FMA_CHAINS * FMA_VECTOR_WIDTH
ROW_FLOATS = 1024            # 4 KB between the threads' lanes: no shared cache lines
FMA_FLOPS = 384_000_000      # a run's flops per thread: long against starting the loop
FMA_ITERATIONS = FMA_FLOPS // (2 * FMA_LANES)
CHILD_TIMEOUT_S = 300


@njit(fastmath=True, nogil=True)
def _fma_chains(x, a, b, iterations):
    for _ in range(iterations):
        for j in range(FMA_LANES):
            x[j] = x[j] * a + b


def sgemm_gflops(m, k, n, tries=3):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    out = np.empty((m, n), np.float32)
    np.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(tries):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2 * m * k * n / best / 1e9


def sgemm_peaks():
    return {name: round(sgemm_gflops(*shape), 1) for name, shape in SGEMM_SHAPES.items()}


def _fma_codegen_problem():
    """None when the compiled loop is packed FMAs on registers of VECTOR_BITS, else what
    it is."""
    asm = _fma_chains.inspect_asm(_fma_chains.signatures[0])
    register = "zmm" if VECTOR_BITS == 512 else "ymm"
    packed = re.findall(rf"vfmadd\w*ps\s+%{register}", asm)
    scalar = re.findall(r"vfmadd\w*ss\s", asm)
    if len(packed) < FMA_CHAINS or scalar:
        return (f"the FMA loop compiled to {len(packed)} packed {VECTOR_BITS}-bit register "
                f"FMAs and {len(scalar)} scalar ones (need {FMA_CHAINS} packed, no scalar; "
                f"x86 AVX2/AVX-512 only), so no FMA peak is reported")
    return None


def measure_fma(threads, tries=20):
    """(GFLOP/s over `threads` threads, None) or (None, why it was not measured), at this
    process's vector width."""
    lanes = np.ones((threads, ROW_FLOATS), np.float32)
    a, b = np.float32(0.5), np.float32(0.5)      # x → 1: no overflow, no denormals
    _fma_chains(lanes[0], a, b, 1)
    problem = _fma_codegen_problem()
    if problem:
        return None, problem

    def run_all():
        workers = [threading.Thread(target=_fma_chains, args=(lanes[t], a, b, FMA_ITERATIONS))
                   for t in range(threads)]
        start = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return time.perf_counter() - start

    best = min(run_all() for _ in range(tries))
    return round(2 * FMA_LANES * FMA_ITERATIONS * threads / best / 1e9, 1), None


def wide_vector_environment():
    """The environment variables under which Numba compiles for this host with 512-bit
    vectors preferred, or None where the host has no AVX-512 (or is not x86)."""
    import llvmlite.binding as llvm

    features = llvm.get_host_cpu_features()
    if not features.get("avx512f"):
        return None
    return {"NUMBA_CPU_NAME": llvm.get_host_cpu_name(),
            "NUMBA_CPU_FEATURES": f"{features.flatten()},{WIDE_FEATURE}"}


def _measure_in_child(threads, environment):
    """measure_fma in a fresh interpreter under `environment`: (gflops, note, bits)."""
    command = [sys.executable, "-m", "benchmarks.peaks", str(threads)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    try:
        done = subprocess.run(command, env={**os.environ, **environment, "PYTHONPATH": path},
                              capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, f"the 512-bit FMA loop ran past {CHILD_TIMEOUT_S} s", 512
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"the 512-bit FMA loop failed: {last}", 512
    result = json.loads(done.stdout)
    return result["gflops"], result["note"], result["vector_bits"]


def fma_peak(threads):
    """(GFLOP/s, None, vector bits) at the widest vectors the CPU has, or (None, why it
    was not measured, vector bits)."""
    environment = wide_vector_environment()
    if environment is None:
        return (*measure_fma(threads), VECTOR_BITS)
    return _measure_in_child(threads, environment)


if __name__ == "__main__":
    gflops, note = measure_fma(int(sys.argv[1]))
    print(json.dumps({"gflops": gflops, "note": note, "vector_bits": VECTOR_BITS}))
