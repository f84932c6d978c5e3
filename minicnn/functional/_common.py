"""Helpers shared by the ops: operand conversion, broadcasting, dims, devices, messages, and
NumPy's argument names."""
import functools

import numpy as np

from .. import backend
from ..dtypes import result_type, scalar_dtype
from ..tensor import Tensor
from .conversion import astype


def shape_str(shape):
    return str(tuple(int(s) for s in shape))


def xp(array):
    return backend.xp_of(array)


def as_tensor_pair(op, a, b):
    """Two operands as Tensors of one dtype: Python scalars take the tensor's dtype, mixed
    dtypes promote by PyTorch's rule (a 0-d tensor promotes only across categories) through
    a differentiable cast."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor operand, got "
                        f"{type(a).__name__} and {type(b).__name__}")
    if not isinstance(a, Tensor):
        a = _scalar_tensor(op, a, b)
    elif not isinstance(b, Tensor):
        b = _scalar_tensor(op, b, a)
    if a.dtype != b.dtype:
        dtype = result_type(a, b)
        a = a if a.dtype == dtype else astype(a, dtype)
        b = b if b.dtype == dtype else astype(b, dtype)
    return a, b


def _scalar_tensor(op, value, like):
    """A number (or an array) as the other operand of `like`: numbers and host arrays on
    like's device, device arrays where they are (the op checks they share it)."""
    if backend.is_cupy_array(value):
        return Tensor._make(value)
    if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) > 0:
        return Tensor._make(backend.to_device(np.asarray(value), like.device))
    if not isinstance(value, (int, float, bool, np.number, np.bool_)):
        raise TypeError(f"{op}: unsupported operand of type {type(value).__name__}")
    dtype = scalar_dtype(value, like.dtype)
    with backend.on_device_of(like._data):
        return Tensor._make(xp(like._data).asarray(value, dtype=dtype))


def broadcast_shape(op, *shapes):
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"{op}: shapes " + " and ".join(shape_str(s) for s in shapes)
                         + " cannot be broadcast together") from None


def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`, undoing the broadcasting that produced it."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(i + extra for i, s in enumerate(shape)
                                       if s == 1 and grad.shape[i + extra] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def normalize_dim(op, dim, ndim, arg="dim"):
    """`dim` as a non-negative axis (negative counts from the end); clear error if out of range."""
    if isinstance(dim, Tensor):
        dim = dim.item()
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not isinstance(dim, (int, np.integer)) or not lo <= dim <= hi:
        raise ValueError(f"{op}: {arg}={dim} is out of range for a tensor of {ndim} "
                         f"dimension(s) (expected {lo}..{hi})")
    return int(dim) % max(ndim, 1)


def normalize_dims(op, dim, ndim):
    """`dim` (None, int or sequence) as a sorted tuple of axes; None means all."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        axes = tuple(sorted(normalize_dim(op, d, ndim) for d in dim))
        if len(set(axes)) != len(axes):
            raise ValueError(f"{op}: dim {tuple(dim)} repeats a dimension")
        return axes
    return (normalize_dim(op, dim, ndim),)


def expand_reduced(grad, shape, axes, keepdim):
    """Reshape the gradient of a reduction so it broadcasts against the input `shape`."""
    if keepdim or grad.ndim == len(shape):
        return grad
    kept = [1 if i in axes else s for i, s in enumerate(shape)]
    return grad.reshape(kept)


def check_same_device(op, *tensors):
    """The tensors (None skipped) live on one device, else a DeviceMismatchError naming both
    devices (backend.check_same_device, the one check): for the tensors an op takes beside
    its Function's inputs (targets, conditions, indices), checked before any work."""
    backend.check_same_device(op, [None if t is None else t._data for t in tensors])


def index_range(array, ignore=None):
    """(min, max) of an integer array as Python ints, leaving out the elements equal to
    `ignore`; (0, -1) when none is left: the bounds checks of the ops that take indices."""
    if ignore is not None:
        array = array[array != ignore]
    if not array.size:
        return 0, -1
    return int(array.min()), int(array.max())


def require_tensor(op, arg, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: argument '{arg}' must be a Tensor, got {type(value).__name__}")


def require_floating(op, arg, t):
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: argument '{arg}' must be a floating tensor, got dtype {t.dtype} "
                        f"(shape {shape_str(t.shape)})")


# The NumPy names PyTorch also takes for these arguments (torch.sum(x, axis=1, keepdims=True))
NUMPY_NAMES = {"axis": "dim", "keepdims": "keepdim"}


def accepts_numpy_names(op):
    """`op` also taking `axis=` for `dim=` and `keepdims=` for `keepdim=`, as PyTorch's ops
    do; giving both names of one argument is a TypeError."""
    @functools.wraps(op)
    def call(*args, **kwargs):
        for numpy_name, name in NUMPY_NAMES.items():
            if numpy_name in kwargs:
                if name in kwargs:
                    raise TypeError(f"{op.__name__}: got both {name!r} and its NumPy name "
                                    f"{numpy_name!r}")
                kwargs[name] = kwargs.pop(numpy_name)
        return op(*args, **kwargs)
    return call
