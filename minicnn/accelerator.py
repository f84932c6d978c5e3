"""`mc.accelerator`: PyTorch's device-agnostic view of the accelerator. minicnn's only
accelerator is a CUDA GPU (through CuPy), so these answer from `mc.cuda`."""
from . import cuda
from .backend import Device


def is_available():
    return cuda.is_available()


def current_accelerator(check_available=False):
    """`device("cuda")` where a GPU answers, else None (as PyTorch answers where it has no
    accelerator). minicnn knows of a GPU only by asking it, so `check_available` changes
    nothing."""
    return Device("cuda") if cuda.is_available() else None


def device_count():
    return cuda.device_count()


def current_device_index():
    return cuda.current_device()


def synchronize():
    cuda.synchronize()
