"""Collectives on tensors across processes, with torch.distributed's names: start the
processes with `mpiexec -n N python script.py`, then in each

    import minicnn as mc
    mc.distributed.init_process_group("mpi")          # or "nccl" for CUDA tensors
    t = mc.ones(3) * mc.distributed.get_rank()
    mc.distributed.all_reduce(t)                      # the sum over ranks, on every rank

`mc.nn.parallel.DistributedDataParallel` trains a model data-parallel on top of them, and
`mc.data.DistributedSampler` gives each process its share of a dataset. Importing minicnn
never imports mpi4py: MPI starts at init_process_group.
"""
from .collectives import (all_gather, all_reduce, barrier, broadcast, broadcast_object_list,
                          reduce_scatter)
from .group import (destroy_process_group, get_backend, get_node_local_rank, get_rank,
                    get_world_size, init_process_group, is_initialized)
from .launcher import find_mpiexec, launched_world_size
from .reduce_op import ReduceOp
from .work import CollectiveTimeout, Work

__all__ = ["CollectiveTimeout", "ReduceOp", "Work", "all_gather", "all_reduce", "barrier",
           "broadcast", "broadcast_object_list", "destroy_process_group", "find_mpiexec",
           "get_backend", "get_node_local_rank", "get_rank", "get_world_size",
           "init_process_group", "is_initialized", "launched_world_size", "reduce_scatter"]
