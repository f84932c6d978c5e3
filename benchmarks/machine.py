"""The header of every report: the CPU, library versions, threads, and the measured peaks
of the CPU or, on CUDA, the card's."""
import os
import platform

from .gpu_card import GEMM_SIZE, card_text, describe_card
from .harness import NO_NUMBA, effective_threads, numba_installed


def cpu_description():
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
    return {"cpu": model, "cores": os.cpu_count(), "simd": simd}


def _numpy_build_blas(np):
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas.get('version', '')}".strip()
    except Exception:                   # older NumPy: no dict form of show_config
        return "unknown"


def _numba_version():
    if not numba_installed():
        return NO_NUMBA
    import numba

    return numba.__version__


def library_versions():
    import numpy as np
    import torch
    from threadpoolctl import threadpool_info

    import minicnn

    blas = [f"{pool['internal_api']} {pool.get('version') or ''} "
            f"({pool.get('architecture') or pool['prefix']})".replace("  ", " ")
            for pool in threadpool_info() if pool["user_api"] == "blas"]
    return {"python": platform.python_version(), "numpy": np.__version__,
            "numba": _numba_version(), "minicnn": minicnn.__version__,
            "torch": torch.__version__, "numpy_blas": _numpy_build_blas(np),
            "blas_loaded": blas}


def _gpu_description():
    """CuPy's and PyTorch's view of the GPU: versions, and where PyTorch runs."""
    import cupy
    import torch

    from .harness import torch_device

    on_gpu = torch_device("cuda") == "cuda"
    return {"cupy": cupy.__version__, "cuda_runtime": cupy.cuda.runtime.runtimeGetVersion(),
            "torch_cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
            "torch_gpu": torch.cuda.get_device_name(0) if on_gpu else
            "none: PyTorch runs on the CPU beside minicnn's emulated GPU"}


def _load_average():
    """Runnable processes averaged over 1, 5 and 15 minutes, or None where unknown."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def _runtime():
    """Numba's threading layer, and whether freed memory is kept for the next arrays (a
    process-wide malloc setting, so PyTorch's CPU arrays get it too)."""
    from minicnn.runtime import tuning_state

    return {"numba_threading_layer": _numba_layer(),
            "freed_memory_kept": tuning_state()["allocator_kept"]}


def _numba_layer():
    if not numba_installed():
        return NO_NUMBA
    import numba

    try:
        return numba.threading_layer()
    except ValueError:                    # no parallel kernel has run yet
        return f"not started ({numba.config.THREADING_LAYER} asked)"


def describe(threads, device, sync=None, gemm_size=GEMM_SIZE):
    """Everything the header shows. On the CPU, its peaks measured now with `threads`
    threads; on CUDA, the card instead (gpu_card.describe_card, cuBLAS timed on
    gemm_size³ with `sync` around each reading of the clock)."""
    machine = {**cpu_description(), "platform": platform.platform(), "device": device,
               "load_average": _load_average(),
               "versions": library_versions(), "threads": threads,
               "threads_in_force": effective_threads(), "runtime": _runtime()}
    if device == "cuda":
        machine.update(_gpu_description(), card=describe_card(gemm_size, sync))
    else:
        from . import peaks                 # Numba, so NumPy, only once threads are set

        machine["sgemm_gflops"] = peaks.sgemm_peaks()
        (machine["fma_gflops"], machine["fma_note"],
         machine["fma_vector_bits"]) = peaks.fma_peak(threads)
    return machine


def header_text(machine):
    v = machine["versions"]
    lines = [f"machine: {machine['cpu']}, {machine['cores']} cores, SIMD "
             f"{' '.join(machine['simd']) or 'none found'}; {machine['platform']}",
             f"versions: minicnn {v['minicnn']}, torch {v['torch']}, numpy {v['numpy']} "
             f"(built with {v['numpy_blas']}; loaded BLAS: {', '.join(v['blas_loaded'])}), "
             f"numba {v['numba']}, python {v['python']}",
             f"threads: {machine['threads']} (in force: {machine['threads_in_force']}); "
             f"Numba threading layer {machine['runtime']['numba_threading_layer']}; malloc "
             f"keeps freed memory for both libraries: "
             f"{'yes' if machine['runtime']['freed_memory_kept'] else 'no'}"]
    load = machine["load_average"]
    if load and load[0] > 0.5:
        lines.append(f"load average {load[0]} (1 min) on {machine['cores']} cores before "
                     f"starting: other work is running, expect noisy timings")
    if machine["device"] == "cuda":
        lines += [card_text(machine["card"]),
                  f"CuPy {machine['cupy']} (CUDA runtime {machine['cuda_runtime']}); PyTorch "
                  f"on CUDA {machine['torch_cuda']}, cuDNN {machine['cudnn']}, GPU "
                  f"{machine['torch_gpu']}; both in float32 (no TF32)"]
        return "\n".join(lines)
    lines += [f"sgemm peak {name}: {rate} GFLOP/s" for name, rate in
              machine["sgemm_gflops"].items()]
    lines.append(f"FMA peak: {machine['fma_gflops']} GFLOP/s (Numba, "
                 f"{machine['fma_vector_bits']}-bit vectors, one loop per thread)"
                 if machine["fma_gflops"] else f"FMA peak: {machine['fma_note']}")
    return "\n".join(lines)
