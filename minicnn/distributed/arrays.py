"""Collectives on raw arrays for the library's own callers (DistributedDataParallel's
gradient buckets, SyncBatchNorm's statistics): the same backends as the public collectives,
but without the per-call agreement check, because these callers check their layout once
(`agree`) and then repeat the same calls in the same order on every rank.
"""
from .agreement import Field
from .group import default_group, is_initialized
from .reduce_op import ReduceOp


def agree(call, **values):
    """Raise on every rank unless each named integer in `values` is the same on all ranks."""
    default_group(call).agree(call, [Field(name.replace("_", " "), "int", value)
                                     for name, value in values.items()])


def start_all_reduce(array, op, call):
    """Begin reducing `array` in place across ranks; returns the Work to wait on."""
    return default_group(call).backend.all_reduce(array, op, call)


def wait(work, call):
    default_group(call).guarded(call, work.wait)


def all_reduce(array, call, op=ReduceOp.SUM):
    """Reduce `array` in place across ranks and wait for it."""
    wait(start_all_reduce(array, op, call), call)


def all_gather(array, call):
    """Every rank's `array`, as a list in rank order."""
    group = default_group(call)
    table = [array.copy() for _ in range(group.size)]
    wait(group.backend.all_gather(table, array, call), call)
    return table


def broadcast(array, src, call):
    """Copy rank `src`'s `array` into `array` on every rank and wait for it."""
    group = default_group(call)
    wait(group.backend.broadcast(array, src, call), call)


def world_size_or_one():
    """The default group's size, or 1 before init_process_group (training alone)."""
    return default_group("world_size").size if is_initialized() else 1
