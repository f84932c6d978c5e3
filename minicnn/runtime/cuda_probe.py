"""Whether this process can run CUDA tensors, and why not when it cannot.

CuPy is optional: where it is not installed nothing is imported, and where it is, the probe
imports it and counts the GPUs once per process. `mc.cuda.is_available()` gives the answer,
`mc.runtime.info()` the reason too.
"""
import importlib.util

NOT_INSTALLED = ("CuPy is not installed (pip install 'minicnn[cuda13]', or 'minicnn[cuda12]' "
                 "where nvidia-smi shows CUDA Version 12.x)")
NO_GPU = "CuPy found no GPU"

_state = None


def cuda_state():
    """(available, reason): True and None when CuPy imports and a GPU answers, else False
    and what went wrong."""
    global _state
    if _state is None:
        _state = _probe()
    return _state


def _probe():
    if importlib.util.find_spec("cupy") is None:
        return False, NOT_INSTALLED
    try:
        import cupy

        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:           # a missing driver or runtime surfaces as anything
        return False, f"{type(error).__name__}: {error}"
    return (True, None) if count > 0 else (False, NO_GPU)
