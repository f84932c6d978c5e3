"""What "fast" means on this machine: the measured float32 GEMM and FMA rates.

sgemm: NumPy's float32 matmul (the BLAS minicnn calls) on a square shape and on the GEMM
of a 3×3 convolution, best of a few runs, 2·M·K·N flops each.

FMA: a Numba loop of x[j] = x[j]·a + b over 96 independent float32 lanes, one loop per
thread, all threads at once, best of many short runs (a run that loses its core on a busy
machine is simply not the best). 96 lanes are twelve 8-wide vectors: enough independent
chains to hide the FMA latency on two FMA pipes while fitting in the 16 AVX2 registers.
The rate is reported only when the compiled loop is verifiably packed vector FMAs on
registers; LLVM targets 256-bit vectors by default, so on AVX-512 machines this is the
256-bit rate.
"""
import re
import threading
import time

import numpy as np
from numba import njit

SGEMM_SHAPES = {  # name → (M, K, N)
    "2048×2048 · 2048×2048": (2048, 2048, 2048),
    "conv3x3 N32 64→64 32² as W·cols: 64×576 · 576×32768": (64, 576, 32768),
}
FMA_LANES = 96
FMA_VECTOR_WIDTH = 8         # float32 lanes of a 256-bit vector
ROW_FLOATS = 1024            # 4 KB between the threads' lanes: no shared cache lines
FMA_ITERATIONS = 2_000_000   # 384 M flops a run per thread: long against starting the loop


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
    """None when the compiled loop is packed vector FMAs on registers, else what it is."""
    asm = _fma_chains.inspect_asm(_fma_chains.signatures[0])
    packed = re.findall(r"vfmadd\w*ps\s+%[yz]mm", asm)
    scalar = re.findall(r"vfmadd\w*ss\s", asm)
    if len(packed) < FMA_LANES // FMA_VECTOR_WIDTH or scalar:
        return (f"the FMA loop compiled to {len(packed)} packed register FMAs and "
                f"{len(scalar)} scalar ones (need {FMA_LANES // FMA_VECTOR_WIDTH} packed, no "
                f"scalar; x86 AVX2/AVX-512 only), so no FMA peak is reported")
    return None


def fma_peak(threads, tries=20):
    """(GFLOP/s over `threads` threads, None) or (None, why it was not measured)."""
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
