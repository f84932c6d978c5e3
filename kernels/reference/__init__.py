"""The readable NumPy form of every kernel."""
from .elementwise import erf

__all__ = ["erf"]
