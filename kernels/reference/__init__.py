"""The readable NumPy form of every kernel, as attributes named like the kernels
(kernels/registry.py says which module holds each)."""
from ..registry import functions_of

_kernels = functions_of("reference")
globals().update(_kernels)
__all__ = sorted(_kernels)
