"""Data-parallel training: `DistributedDataParallel` across processes (over
minicnn.distributed's collectives), and `DataParallel`, PyTorch's single-process wrapper,
which passes through to its module on one device."""
from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
