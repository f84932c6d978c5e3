"""The Numba form of every kernel (compiled on first use, cached on disk)."""
from .elementwise import erf

__all__ = ["erf"]
