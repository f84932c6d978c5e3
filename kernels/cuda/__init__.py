"""The CUDA form of every kernel that has one: Python wrappers over the CUDA C in this
folder, which import CuPy only when called. Kernels whose declared fallback on CuPy arrays
is the reference form (LayerNorm's rows, the channel affine map) appear here as that form;
kernels/registry.py holds the table."""
from ..registry import functions_of

_kernels = functions_of("cuda")
globals().update(_kernels)
__all__ = sorted(_kernels)
