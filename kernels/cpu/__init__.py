"""The Numba form of every kernel (compiled on first use, cached on disk), as attributes
named like the kernels (kernels/registry.py says which module holds each)."""
from ..registry import functions_of

_kernels = functions_of("cpu")
globals().update(_kernels)
__all__ = sorted(_kernels)
