"""`mc.cuda`: is a GPU usable (and if not, why), how many, and waiting for it."""
from . import backend
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


def synchronize():
    """Wait for all queued GPU work (call before reading a clock)."""
    if is_available():
        backend.cupy_module().cuda.Device().synchronize()
