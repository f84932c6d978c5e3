"""Comparisons (bool results, no gradient): each a Function, so that tracing
(minicnn.onnx) records them like every other op."""
from .. import backend
from ..autograd import Function
from ._common import as_tensor_pair, broadcast_shape

_COMPARISONS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
                "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
                "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}


class Compare(Function):
    """a `op` b element-wise (op one of eq, ne, lt, le, gt, ge); a bool result has no
    gradient, so backward is never called."""

    @staticmethod
    def forward(ctx, a, b, op):
        return backend.xp_of(a).asarray(_COMPARISONS[op](a, b))


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
    if type(a.data) is not type(b.data):
        raise ValueError(f"{op}: tensors on different devices: {a.device} and {b.device}")
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
    return input.shape == other.shape and bool((input.data == other.data).all())


def allclose(input, other, rtol=1e-5, atol=1e-8):
    return bool(backend.xp_of(input.data).allclose(input.data, other.data, rtol=rtol, atol=atol))


def isfinite(input):
    return IsFinite.apply(input)
