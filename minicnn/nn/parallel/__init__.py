"""Data-parallel training across processes: `DistributedDataParallel` (over
minicnn.distributed's collectives)."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
