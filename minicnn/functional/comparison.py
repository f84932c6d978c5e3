"""Comparisons (bool results, no gradient): each a Function, so that its tensors are checked
to share a device, it computes on that device, and tracing (minicnn.onnx) records it like
every other op."""
from .. import backend
from ..autograd import Function
from ._common import as_tensor_pair, broadcast_shape, check_same_device

_COMPARISONS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
                "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
                "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}


class Compare(Function):
    """a `op` b element-wise (op one of eq, ne, lt, le, gt, ge); a bool result has no
    gradient, so backward is never called."""

    @staticmethod
    def forward(ctx, a, b, op):
        return backend.xp_of(a).asarray(_COMPARISONS[op](a, b))


class WholeTest(Function):
    """A test of two whole arrays (equal, allclose) as a 0-d bool, computed on their device."""

    @staticmethod
    def forward(ctx, a, b, test):
        return backend.xp_of(a).asarray(test(a, b))


class IsFinite(Function):
    """Whether each element is neither infinite nor NaN (bool, no gradient)."""

    @staticmethod
    def forward(ctx, a):
        m = backend.xp_of(a)
        return m.asarray(m.isfinite(a))


def _compare(op, a, b):
    a, b = as_tensor_pair(op, a, b)
    if a.shape != b.shape:
        broadcast_shape(op, a.shape, b.shape)
    check_same_device(op, a, b)
    return Compare.apply(a, b, op=op)


def eq(input, other):
    return _compare("eq", input, other)


def ne(input, other):
    return _compare("ne", input, other)


def lt(input, other):
    return _compare("lt", input, other)


def le(input, other):
    return _compare("le", input, other)


def gt(input, other):
    return _compare("gt", input, other)


def ge(input, other):
    return _compare("ge", input, other)


def equal(input, other):
    """True when both tensors have the same shape and elements."""
    check_same_device("equal", input, other)
    return input.shape == other.shape and bool(
        WholeTest.apply(input, other, test=lambda a, b: (a == b).all()).item())


def allclose(input, other, rtol=1e-5, atol=1e-8):
    check_same_device("allclose", input, other)
    return bool(WholeTest.apply(input, other, test=lambda a, b: backend.xp_of(a).allclose(
        a, b, rtol=rtol, atol=atol)).item())


def isfinite(input):
    return IsFinite.apply(input)
