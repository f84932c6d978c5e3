"""What "fast" means on the GPU: the card, its peak memory bandwidth, and cuBLAS's float32
GEMM rate through CuPy, the ceilings the GPU rows are read against.

Peak bandwidth is 2 (double data rate) × memory clock × bus width in bytes, from the device
properties. CUDA 13 dropped the memory clock from cudaDeviceProp; the device attribute
still has it, so it is asked for where the properties lack it. A device that reports
neither (minicnn's CPU emulation of a GPU) has no peak, and the rows say so.
"""
import time

MEMORY_CLOCK_ATTRIBUTE = 36     # cudaDevAttrMemoryClockRate, in kHz
BUS_WIDTH_ATTRIBUTE = 37        # cudaDevAttrGlobalMemoryBusWidth, in bits
GEMM_TRIES = 3
GEMM_SIZE = 4096                # side of the square sgemm of the card's header


def _text(value):
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _property(props, key, attribute, device_id):
    """props[key], else the device attribute `attribute`, else None."""
    import cupy

    if props.get(key):
        return int(props[key])
    try:
        return int(cupy.cuda.runtime.deviceGetAttribute(attribute, device_id)) or None
    except (AttributeError, cupy.cuda.runtime.CUDARuntimeError):
        return None


def peak_bandwidth_gbps(memory_clock_khz, bus_width_bits):
    """GB/s of a double-data-rate memory at `memory_clock_khz` over `bus_width_bits`."""
    if not memory_clock_khz or not bus_width_bits:
        return None
    return 2 * memory_clock_khz * 1e3 * bus_width_bits / 8 / 1e9


def gemm_gflops(m, k, n, sync):
    """GFLOP/s of CuPy's float32 matmul (cuBLAS) of (m, k) · (k, n), best of GEMM_TRIES
    after one untimed call; `sync` waits for the GPU before each reading of the clock."""
    import cupy
    import numpy as np

    rng = np.random.default_rng(0)
    a = cupy.asarray(rng.random((m, k), dtype=np.float32))
    b = cupy.asarray(rng.random((k, n), dtype=np.float32))
    out = cupy.matmul(a, b)
    best = float("inf")
    for _ in range(GEMM_TRIES):
        sync()
        start = time.perf_counter()
        cupy.matmul(a, b, out=out)
        sync()
        best = min(best, time.perf_counter() - start)
    return 2 * m * k * n / best / 1e9


def describe_card(gemm_size, sync):
    """The current device: name, compute capability, multiprocessors, memory, memory clock,
    bus width, peak bandwidth (None where unknown) and cuBLAS's sgemm rate on gemm_size³."""
    import cupy

    device_id = cupy.cuda.Device().id
    props = cupy.cuda.runtime.getDeviceProperties(device_id)
    clock = _property(props, "memoryClockRate", MEMORY_CLOCK_ATTRIBUTE, device_id)
    width = _property(props, "memoryBusWidth", BUS_WIDTH_ATTRIBUTE, device_id)
    peak = peak_bandwidth_gbps(clock, width)
    return {"name": _text(props["name"]), "device_id": device_id,
            "compute_capability": f"{props['major']}.{props['minor']}",
            "multiprocessors": props.get("multiProcessorCount"),
            "memory_gib": round(props["totalGlobalMem"] / 2 ** 30, 1),
            "memory_clock_mhz": clock / 1e3 if clock else None, "bus_width_bits": width,
            "peak_gbps": round(peak, 1) if peak else None,
            "sgemm_shape": f"{gemm_size}×{gemm_size} · {gemm_size}×{gemm_size}",
            "sgemm_gflops": round(gemm_gflops(gemm_size, gemm_size, gemm_size, sync), 1)}


def card_text(card):
    """One header line for `card` (describe_card)."""
    memory = (f"memory {card['memory_gib']} GiB at {card['memory_clock_mhz']:.0f} MHz × "
              f"{card['bus_width_bits']} bits: peak {card['peak_gbps']} GB/s"
              if card["peak_gbps"] else
              f"memory {card['memory_gib']} GiB, no memory clock or bus width reported: "
              f"peak bandwidth unknown")
    return (f"GPU {card['device_id']}: {card['name']}, compute capability "
            f"{card['compute_capability']}, {card['multiprocessors']} SMs; {memory}; cuBLAS "
            f"sgemm {card['sgemm_shape']}: {card['sgemm_gflops']} GFLOP/s (CuPy matmul)")
