"""The collectives on tensors, with torch.distributed's names and arguments: all_reduce,
broadcast, all_gather, reduce_scatter, barrier, broadcast_object_list.

Each validates its arguments on this rank, then checks with the other ranks that they make
the same call (agreement.py), then moves the data in place. With async_op=True it returns
the Work in flight (`work.wait()`); otherwise it returns None once the tensors hold the
result.
"""
import numbers

from ..tensor import Tensor
from ..version_counter import bump_version
from .agreement import Field
from .group import default_group
from .reduce_op import ReduceOp
from .work import completed


def _tensor(function, name, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"{function}: {name} must be a Tensor, got {type(value).__name__}")
    return value


def _op(function, op, tensor, group):
    if not isinstance(op, ReduceOp):
        raise ValueError(f"{function}: op must be a ReduceOp (SUM, PRODUCT, MIN, MAX, AVG), "
                         f"got {op!r}")
    if not group.backend.supports_reduction(tensor.dtype):
        raise TypeError(f"{function}: cannot reduce a tensor of dtype {tensor.dtype}")
    if op is ReduceOp.AVG and tensor.dtype.kind != "f":
        raise TypeError(f"{function}: op ReduceOp.AVG needs a floating tensor, got dtype "
                        f"{tensor.dtype}")
    return op


def _rank(function, name, value, group):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
            or not 0 <= value < group.size:
        raise ValueError(f"{function}: {name} must be a rank in [0, {group.size}), got "
                         f"{value!r}")
    return int(value)


def _tensor_list(function, name, tensors, like, group):
    """A list of world-size tensors of `like`'s shape, dtype and device."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{function}: {name} must be a list of {group.size} Tensors, got "
                        f"{type(tensors).__name__}")
    if len(tensors) != group.size:
        raise ValueError(f"{function}: {name} holds {len(tensors)} tensors but the world "
                         f"size is {group.size}")
    for i, t in enumerate(tensors):
        _tensor(function, f"{name}[{i}]", t)
        for what, mine, theirs in (("shape", t.shape, like.shape), ("dtype", t.dtype, like.dtype),
                                   ("device", t.device, like.device)):
            if mine != theirs:
                raise ValueError(f"{function}: {name}[{i}] has {what} {mine} but the tensor "
                                 f"has {what} {theirs}")
    return tensors


def _describe(name, tensor):
    return [Field(f"{name}'s dtype", "dtype", tensor.dtype),
            Field(f"{name}'s shape", "shape", tensor.shape)]


def _finish(group, function, work, tensors, async_op):
    """Bump the written tensors' versions; wait for `work` unless async_op."""
    for t in tensors:
        bump_version(t)
    if async_op:
        return work
    group.guarded(function, work.wait)
    return None


def all_reduce(tensor, op=ReduceOp.SUM, async_op=False):
    """Replace `tensor` on every rank by the reduction (`op`) of all ranks' tensors."""
    group = default_group("all_reduce")
    _tensor("all_reduce", "tensor", tensor)
    _op("all_reduce", op, tensor, group)
    group.agree("all_reduce", [Field("op", "op", op)] + _describe("tensor", tensor))
    work = group.backend.all_reduce(tensor._data, op, "all_reduce")
    return _finish(group, "all_reduce", work, [tensor], async_op)


def broadcast(tensor, src, async_op=False):
    """Copy rank `src`'s `tensor` into `tensor` on every other rank."""
    group = default_group("broadcast")
    _tensor("broadcast", "tensor", tensor)
    src = _rank("broadcast", "src", src, group)
    group.agree("broadcast", [Field("src", "int", src)] + _describe("tensor", tensor))
    work = group.backend.broadcast(tensor._data, src, "broadcast")
    return _finish(group, "broadcast", work, [tensor], async_op)


def all_gather(tensor_list, tensor, async_op=False):
    """tensor_list[r] ← rank r's `tensor`, on every rank (tensor_list holds world-size
    tensors shaped like `tensor`)."""
    group = default_group("all_gather")
    _tensor("all_gather", "tensor", tensor)
    _tensor_list("all_gather", "tensor_list", tensor_list, tensor, group)
    group.agree("all_gather", _describe("tensor", tensor))
    work = group.backend.all_gather([t._data for t in tensor_list], tensor._data, "all_gather")
    return _finish(group, "all_gather", work, tensor_list, async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, async_op=False):
    """output on rank r ← the reduction (`op`) over all ranks of their input_list[r]."""
    group = default_group("reduce_scatter")
    _tensor("reduce_scatter", "output", output)
    _tensor_list("reduce_scatter", "input_list", input_list, output, group)
    _op("reduce_scatter", op, output, group)
    group.agree("reduce_scatter", [Field("op", "op", op)] + _describe("output", output))
    work = group.backend.reduce_scatter(output._data, [t._data for t in input_list], op,
                                        "reduce_scatter")
    return _finish(group, "reduce_scatter", work, [output], async_op)


def barrier(async_op=False):
    """Return once every rank has called barrier."""
    group = default_group("barrier")
    group.agree("barrier", [])
    return completed() if async_op else None


def broadcast_object_list(object_list, src=0):
    """Replace the items of `object_list` on every rank by rank `src`'s (pickled, so only
    for trusted peers: the processes of one job)."""
    group = default_group("broadcast_object_list")
    if not isinstance(object_list, list):
        raise TypeError(f"broadcast_object_list: object_list must be a list, got "
                        f"{type(object_list).__name__}")
    src = _rank("broadcast_object_list", "src", src, group)
    group.agree("broadcast_object_list", [Field("src", "int", src),
                                          Field("len(object_list)", "int", len(object_list))])
    received = group.guarded("broadcast_object_list", lambda: group.backend.broadcast_object(
        object_list if group.rank == src else None, src))
    object_list[:] = received
