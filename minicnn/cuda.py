"""`mc.cuda`: is a GPU usable, how many, and waiting for it."""
from . import backend


def is_available():
    """True only when CuPy imports and a GPU answers."""
    return backend.cuda_is_available()


def device_count():
    return backend.cupy_module().cuda.runtime.getDeviceCount() if is_available() else 0


def synchronize():
    """Wait for all queued GPU work (call before reading a clock)."""
    if is_available():
        backend.cupy_module().cuda.Device().synchronize()
