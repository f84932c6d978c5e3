"""Comparisons and logical ops (bool results, no gradient); bitwise ops on bool and integer
tensors (the `&`, `|`, `^` and `~` of masks)."""
from .. import backend
from ..tensor import Tensor
from ._common import as_tensor_pair, broadcast_shape, require_tensor


def _compare(op, compute, a, b):
    a, b = as_tensor_pair(op, a, b)
    if a.shape != b.shape:
        broadcast_shape(op, a.shape, b.shape)
    if type(a._data) is not type(b._data):
        raise ValueError(f"{op}: tensors on different devices: {a.device} and {b.device}")
    return Tensor._make(backend.xp_of(a._data).asarray(compute(a._data, b._data)))


def eq(input, other):
    return _compare("eq", lambda a, b: a == b, input, other)


def ne(input, other):
    return _compare("ne", lambda a, b: a != b, input, other)


def lt(input, other):
    return _compare("lt", lambda a, b: a < b, input, other)


def le(input, other):
    return _compare("le", lambda a, b: a <= b, input, other)


def gt(input, other):
    return _compare("gt", lambda a, b: a > b, input, other)


def ge(input, other):
    return _compare("ge", lambda a, b: a >= b, input, other)


def equal(input, other):
    """True when both tensors have the same shape and elements."""
    return input.shape == other.shape and bool((input._data == other._data).all())


def allclose(input, other, rtol=1e-5, atol=1e-8):
    return bool(backend.xp_of(input._data).allclose(input._data, other._data, rtol=rtol, atol=atol))


def isfinite(input):
    m = backend.xp_of(input._data)
    return Tensor._make(m.asarray(m.isfinite(input._data)))


def logical_and(input, other):
    return _compare("logical_and", lambda a, b: (a != 0) & (b != 0), input, other)


def logical_or(input, other):
    return _compare("logical_or", lambda a, b: (a != 0) | (b != 0), input, other)


def logical_xor(input, other):
    return _compare("logical_xor", lambda a, b: (a != 0) ^ (b != 0), input, other)


def logical_not(input):
    require_tensor("logical_not", "input", input)
    return Tensor._make(input._data == 0)


def _require_bits(op, *tensors):
    for t in tensors:
        if isinstance(t, Tensor) and t.dtype.kind not in "biu":
            raise TypeError(f"{op}: needs bool or integer tensors, got dtype {t.dtype} (compare "
                            f"first, or use logical_{op[len('bitwise_'):]})")


def _bitwise(op, compute, input, other):
    _require_bits(op, input, other)
    a, b = as_tensor_pair(op, input, other)
    if a.shape != b.shape:
        broadcast_shape(op, a.shape, b.shape)
    if type(a._data) is not type(b._data):
        raise ValueError(f"{op}: tensors on different devices: {a.device} and {b.device}")
    return Tensor._make(compute(a._data, b._data))


def bitwise_and(input, other):
    """Elementwise AND of bool or integer tensors (`a & b`)."""
    return _bitwise("bitwise_and", lambda a, b: a & b, input, other)


def bitwise_or(input, other):
    """Elementwise OR of bool or integer tensors (`a | b`)."""
    return _bitwise("bitwise_or", lambda a, b: a | b, input, other)


def bitwise_xor(input, other):
    """Elementwise XOR of bool or integer tensors (`a ^ b`)."""
    return _bitwise("bitwise_xor", lambda a, b: a ^ b, input, other)


def bitwise_not(input):
    """NOT of a bool tensor, bitwise complement of an integer one (`~a`)."""
    require_tensor("bitwise_not", "input", input)
    _require_bits("bitwise_not", input)
    return Tensor._make(~input._data)
