"""dtype names as in PyTorch (`mc.float32`, ...) and the default floating dtype; PyTorch's
memory-format names (`mc.preserve_format`, ...)."""
import numpy as np

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

# `mc.float`, `mc.int` and `mc.bool` are bound in minicnn/__init__.py: here they would shadow builtins.


class memory_format:
    """A PyTorch memory-format name. minicnn keeps every tensor's data C-contiguous (NCHW
    for images), which changes no value, so the methods that take `memory_format=` (`to`,
    `float` ..., `clone`, `contiguous`) accept these names and otherwise ignore them."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"minicnn.{self.name}"


preserve_format = memory_format("preserve_format")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")

_default_dtype = float32


def get_default_dtype():
    return _default_dtype


def set_default_dtype(dtype):
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dtype}")
    _default_dtype = dtype


def is_floating(dtype):
    return np.dtype(dtype).kind == "f"


def promote(a, b):
    """Result dtype of a binary op on arrays of dtypes a and b, as PyTorch decides it:
    a float meets an integer → the float's dtype; otherwise NumPy's promotion."""
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    if a.kind == "f" and b.kind != "f":
        return a
    if b.kind == "f" and a.kind != "f":
        return b
    return np.result_type(a, b)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # bool < integer < floating < complex


def result_type(*arrays):
    """Result dtype of an op on tensors (anything with `dtype` and `ndim`), by PyTorch's
    rule: tensors with dimensions decide among themselves; a 0-d tensor counts only when
    its category (bool < integer < floating) is higher, so float32 beside a 0-d float64
    stays float32, and int64 beside a 0-d float64 becomes float64."""
    def promoted(dtypes):
        result = None
        for dtype in dtypes:
            result = np.dtype(dtype) if result is None else promote(result, dtype)
        return result

    dims = promoted(a.dtype for a in arrays if a.ndim > 0)
    zero_dim = promoted(a.dtype for a in arrays if a.ndim == 0)
    if dims is None or zero_dim is None:
        return zero_dim if dims is None else dims
    if _CATEGORY[zero_dim.kind] <= _CATEGORY[dims.kind]:
        return dims
    return promote(dims, zero_dim)


def scalar_dtype(value, tensor_dtype):
    """dtype a Python scalar takes beside a tensor: the tensor's, unless a float meets an
    integer or bool tensor (then the default float dtype)."""
    tensor_dtype = np.dtype(tensor_dtype)
    if isinstance(value, (bool, np.bool_)):
        return tensor_dtype
    if isinstance(value, (float, np.floating)) and tensor_dtype.kind != "f":
        return _default_dtype
    if tensor_dtype.kind == "b":
        return np.dtype(np.int64)
    return tensor_dtype
