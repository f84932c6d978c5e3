"""Neural-network building blocks; `mc.nn.functional` is minicnn.functional."""
from .. import functional

__all__ = ["functional"]
