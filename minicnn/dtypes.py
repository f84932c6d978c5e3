"""dtype names as in PyTorch (`mc.float32`, ...) and the default floating dtype."""
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
