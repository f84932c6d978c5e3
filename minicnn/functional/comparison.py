"""Comparisons (bool results, no gradient). Each runs as the op Compare, so that its
tensors are checked to share a device and it computes on that device."""
from ..autograd import Function
from ._common import as_tensor_pair, broadcast_shape, check_same_device, xp


class Compare(Function):
    """An elementwise test of one array or two (a bool array, or a 0-d bool for a test of
    the whole); outputs that are not floating have no gradient."""

    @staticmethod
    def forward(ctx, *arrays, test):
        return xp(arrays[0]).asarray(test(*arrays))


def _compare(op, test, a, b):
    a, b = as_tensor_pair(op, a, b)
    if a.shape != b.shape:
        broadcast_shape(op, a.shape, b.shape)
    check_same_device(op, a, b)
    return Compare.apply(a, b, test=test)


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
    check_same_device("equal", input, other)
    return input.shape == other.shape and bool(
        Compare.apply(input, other, test=lambda a, b: (a == b).all()).item())


def allclose(input, other, rtol=1e-5, atol=1e-8):
    check_same_device("allclose", input, other)
    return bool(Compare.apply(input, other, test=lambda a, b: xp(a).allclose(
        a, b, rtol=rtol, atol=atol)).item())


def isfinite(input):
    return Compare.apply(input, test=lambda a: xp(a).isfinite(a))
