"""`mc.cuda`: is a GPU usable (and if not, why), how many, seeding their generators, and
waiting for them."""
from . import backend, random
from .runtime.cuda_probe import cuda_state


def is_available():
    """True only when CuPy imports and a GPU answers."""
    return backend.cuda_is_available()


def why_unavailable():
    """None when a GPU is usable, else the one-line reason it is not (CuPy missing, no GPU
    found, or the error the CUDA runtime raised), as `minicnn info` reports it."""
    return None if is_available() else cuda_state()[1]


def device_count():
    return backend.cupy_module().cuda.runtime.getDeviceCount() if is_available() else 0


def current_device():
    """The index of the GPU that CuPy works on now (0 without a GPU, as there is none to
    change to)."""
    return backend.cupy_module().cuda.runtime.getDevice() if is_available() else 0


def manual_seed(seed):
    """Seed the current GPU's generator. Without a GPU the seed is kept for when one is used,
    as PyTorch does (no error)."""
    random.seed_cuda(seed, current_device())


def manual_seed_all(seed):
    """Seed the generator of every GPU (GPU i draws from seed + i)."""
    random.seed_cuda(seed)


def synchronize():
    """Wait for all queued GPU work (call before reading a clock)."""
    if is_available():
        backend.cupy_module().cuda.Device().synchronize()


def empty_cache():
    """Hand the memory that CuPy's pool holds but no array uses back to the GPU."""
    if is_available():
        backend.cupy_module().get_default_memory_pool().free_all_blocks()
