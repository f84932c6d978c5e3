"""The CUDA form of every kernel: Python wrappers over the CUDA C in this folder."""
from .elementwise import erf

__all__ = ["erf"]
