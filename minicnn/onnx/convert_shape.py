"""Ops that move elements: reshape, permute, expand, repeat, cat, split, pad, crop and
indexing.

Shapes are those of the traced pass: a reshape or expand writes the output shape it
produced, so the graph takes inputs of the example's shape. Basic indexing (ints, slices,
None, ...) becomes one Slice and a Reshape to the result's shape; advanced indexing is
exported where it is a Gather: one integer array, every other index a full slice.
"""
import numpy as np

from ..functional.indexing import GetItem
from ..functional.shape import Cat, Crop, Expand, Pad, Permute, Repeat, Reshape, Split
from .registry import converts, refuse

_INT64_MIN = -2 ** 63


@converts(Reshape)
def _reshape(g, step):
    g.reshape(step.inputs[0].name, step.outputs[0].shape, step.outputs[0].name)


@converts(Permute)
def _permute(g, step):
    g.node("Transpose", [step.inputs[0].name], step.outputs[0].name,
           perm=list(step.params["dims"]))


@converts(Expand)
def _expand(g, step):
    g.node("Expand", [step.inputs[0].name, g.ints(step.outputs[0].shape)],
           step.outputs[0].name)


@converts(Repeat)
def _repeat(g, step):
    (a,) = step.inputs
    repeats = step.params["repeats"]
    x = a.name
    if len(repeats) > len(a.shape):
        x = g.reshape(x, (1,) * (len(repeats) - len(a.shape)) + a.shape)
    g.node("Tile", [x, g.ints(repeats)], step.outputs[0].name)


@converts(Cat)
def _cat(g, step):
    g.node("Concat", [v.name for v in step.inputs], step.outputs[0].name,
           axis=step.params["axis"])


@converts(Split)
def _split(g, step):
    axis = step.params["axis"]
    sizes = [v.shape[axis] for v in step.outputs]
    g.node("Split", [step.inputs[0].name, g.ints(sizes)], [v.name for v in step.outputs],
           axis=axis)


@converts(Pad)
def _pad(g, step):
    (a,) = step.inputs
    widths = step.params["widths"]
    pads = [lo for lo, _ in widths] + [hi for _, hi in widths]
    g.node("Pad", [a.name, g.ints(pads), g.const(step.params["value"], a.dtype)],
           step.outputs[0].name, mode="constant")


def _slice(g, x, bounds, out):
    """One Slice over `bounds` [(axis, start, end, step)] (x itself when there are none)."""
    if not bounds:
        return g.node("Identity", [x], out)
    axes, starts, ends, steps = zip(*bounds)
    return g.node("Slice", [x, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)], out)


def _slice_bounds(axis, item, size):
    """(axis, start, end, step) of slice `item` over a dimension of `size`, as ONNX reads
    them: a negative step that runs past index 0 ends at INT64_MIN, not at -1."""
    start, stop, stride = item.indices(size)
    if stride < 0 and stop < 0:
        stop = _INT64_MIN
    return axis, start, stop, stride


@converts(Crop)
def _crop(g, step):
    (a,) = step.inputs
    slices = step.params["slices"]
    items = slices if isinstance(slices, tuple) else (slices,)
    bounds = [_slice_bounds(axis, item, a.shape[axis]) for axis, item in enumerate(items)
              if isinstance(item, slice) and item != slice(None)]
    _slice(g, a.name, bounds, step.outputs[0].name)


def _spread_ellipsis(items, ndim):
    """The index items with Ellipsis replaced by full slices, and full slices appended up
    to one item per input dimension."""
    used = sum(1 for item in items if _consumes_dimension(item))
    if any(item is Ellipsis for item in items):
        at = next(i for i, item in enumerate(items) if item is Ellipsis)
        return items[:at] + (slice(None),) * (ndim - used) + items[at + 1:]
    return items + (slice(None),) * (ndim - used)


def _consumes_dimension(item):
    return item is not None and item is not Ellipsis and not isinstance(item, bool)


def _basic_index(g, step, items):
    """Slice the sliced and indexed dimensions, then reshape to the result's shape (which
    drops the indexed dimensions and adds the None ones)."""
    a = step.inputs[0]
    bounds, axis = [], 0
    for item in _spread_ellipsis(items, len(a.shape)):
        if not _consumes_dimension(item):
            continue
        if isinstance(item, slice):
            if item != slice(None):
                bounds.append(_slice_bounds(axis, item, a.shape[axis]))
        else:
            index = int(item) % a.shape[axis]
            bounds.append((axis, index, index + 1, 1))
        axis += 1
    g.reshape(_slice(g, a.name, bounds, None), step.outputs[0].shape, step.outputs[0].name)


@converts(GetItem)
def _getitem(g, step):
    index = step.params["index"]
    items = index if isinstance(index, tuple) else (index,)
    if not step.params["advanced"]:
        _basic_index(g, step, items)
        return
    arrays = [i for i, item in enumerate(items) if hasattr(item, "dtype")]
    rest = [item for item in items if not hasattr(item, "dtype")]
    if len(arrays) != 1 or any(item != slice(None) for item in rest) or \
            items[arrays[0]].dtype == np.bool_:
        raise refuse(step, "advanced indexing is exported as one integer index array with a "
                           "full slice ':' for every dimension before it")
    axis = arrays[0]
    indices = step.array(items[axis])
    g.node("Gather", [step.inputs[0].name, g.cast(indices.name, indices.dtype, np.int64)],
           step.outputs[0].name, axis=axis)
