"""Comparisons (bool results, no gradient)."""
from .. import backend
from ..tensor import Tensor
from ._common import as_tensor_pair, broadcast_shape


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
