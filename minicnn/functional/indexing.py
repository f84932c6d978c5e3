"""Indexing with `tensor[index]`: basic (ints, slices, None, ...) and advanced (integer
arrays, bool masks), differentiable by scatter-add."""
import numpy as np

from .. import backend
from ..autograd import Function
from ..backend import on_input_device
from ..tensor import Tensor
from ._common import check_same_device, index_range, normalize_dim, shape_str, xp
from .arithmetic import clone


class GetItem(Function):
    @staticmethod
    def forward(ctx, a, index, advanced):
        ctx.shape, ctx.index, ctx.advanced = a.shape, index, advanced
        return a[index]

    @staticmethod
    def backward(ctx, g):
        """da = zeros with g added at the indexed positions (repeated indices add up)."""
        da = xp(g).zeros(ctx.shape, dtype=g.dtype)
        if ctx.advanced:
            backend.scatter_add(da, ctx.index, g)
        else:
            da[ctx.index] = g
        return da


def _convert(item, like):
    """One index item as NumPy/CuPy understands it; True if it is advanced indexing."""
    if isinstance(item, Tensor):
        item = item._data
    elif isinstance(item, list):
        item = np.asarray(item) if item else np.zeros(0, dtype=np.int64)
    if isinstance(item, (np.ndarray,)) or backend.is_cupy_array(item):
        if item.dtype.kind not in "iub":
            raise TypeError(f"getitem: index arrays must be integer or bool, got dtype "
                            f"{item.dtype}")
        if backend.is_cupy_array(item):  # a GPU tensor takes indices from the host too
            backend.check_same_device("getitem", (like, item))
        return backend.to_device(item, backend.device_of(like)), True
    if item is None or item is Ellipsis or isinstance(item, (slice, int, np.integer, bool)):
        return item, False
    raise TypeError(f"getitem: unsupported index of type {type(item).__name__}")


def _dims_used(item):
    """How many input dimensions an index item consumes."""
    if item is None or item is Ellipsis or isinstance(item, bool):
        return 0
    if hasattr(item, "dtype") and item.dtype == np.bool_:
        return item.ndim
    return 1


def _check_bounds(a, items):
    """Clear error for an integer index outside its dimension (before any work)."""
    if sum(_dims_used(i) for i in items) > a.ndim:
        raise IndexError(f"getitem: too many indices for a tensor of shape {shape_str(a.shape)}")
    axis = 0
    for position, item in enumerate(items):
        if item is Ellipsis:
            axis = a.ndim - sum(_dims_used(i) for i in items[position + 1:])
            continue
        is_mask = hasattr(item, "dtype") and item.dtype == np.bool_
        if is_mask and tuple(item.shape) != tuple(a.shape[axis:axis + item.ndim]):
            raise IndexError(f"getitem: mask of shape {shape_str(item.shape)} does not match "
                             f"dimensions {axis}..{axis + item.ndim - 1} of a tensor of shape "
                             f"{shape_str(a.shape)}")
        if _dims_used(item) == 1 and not isinstance(item, slice) and not is_mask:
            size = a.shape[axis]
            if hasattr(item, "dtype"):
                lo, hi = index_range(item)
            else:
                lo = hi = int(item)
            if lo < -size or hi >= size:
                raise IndexError(f"getitem: index {hi if hi >= size else lo} is out of bounds "
                                 f"for dimension {axis} with size {size} "
                                 f"(shape {shape_str(a.shape)})")
        axis += _dims_used(item)


@on_input_device
def getitem(input, index):
    items = index if isinstance(index, tuple) else (index,)
    converted = [_convert(item, input._data) for item in items]
    items = tuple(c for c, _ in converted)
    advanced = any(adv for _, adv in converted)
    _check_bounds(input._data, items)
    return GetItem.apply(input, index=items if len(items) != 1 else items[0],
                         advanced=advanced)


def index_select(input, dim, index):
    axis = normalize_dim("index_select", dim, input.ndim)
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu" or index.ndim > 1:
        raise TypeError("index_select: index must be a 0-d or 1-d integer Tensor, got "
                        + (f"dtype {index.dtype} and shape {shape_str(index.shape)}"
                           if isinstance(index, Tensor) else type(index).__name__))
    check_same_device("index_select", input, index)
    if input.ndim == 0:  # as PyTorch: a 0-d tensor takes the one index 0
        if index.numel() != 1:
            raise ValueError(f"index_select: index to a 0-d tensor can have only 1 value, got "
                             f"{index.numel()} value(s)")
        if int(index._data.reshape(-1)[0]) != 0:
            raise IndexError(f"index_select: index {int(index._data.reshape(-1)[0])} is out of "
                             f"range for a 0-d tensor")
        return clone(input)
    return getitem(input, (slice(None),) * axis + (index.reshape(-1),))
