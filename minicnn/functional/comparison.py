"""Comparisons and logical ops (bool results, no gradient); bitwise ops on bool and integer
tensors (the `&`, `|`, `^` and `~` of masks). Each runs as a Function, so that its tensors
are checked to share a device, it computes on that device, and tracing (minicnn.onnx)
records it like every other op."""
from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from ._common import as_tensor_pair, broadcast_shape, check_same_device, require_tensor

_COMPARISONS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
                "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
                "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}
_BINARY = {"logical_and": lambda a, b: (a != 0) & (b != 0),
           "logical_or": lambda a, b: (a != 0) | (b != 0),
           "logical_xor": lambda a, b: (a != 0) ^ (b != 0),
           "bitwise_and": lambda a, b: a & b, "bitwise_or": lambda a, b: a | b,
           "bitwise_xor": lambda a, b: a ^ b}
_UNARY = {"logical_not": lambda a: a == 0, "bitwise_not": lambda a: ~a}


class Compare(Function):
    """a `op` b element-wise (op one of eq, ne, lt, le, gt, ge); a bool result has no
    gradient, so backward is never called."""

    @staticmethod
    def forward(ctx, a, b, op):
        return backend.xp_of(a).asarray(_COMPARISONS[op](a, b))


class Bitwise(Function):
    """a `op` b element-wise for the logical and bitwise ops of _BINARY; no gradient."""

    @staticmethod
    def forward(ctx, a, b, op):
        return backend.xp_of(a).asarray(_BINARY[op](a, b))


class BitwiseUnary(Function):
    """logical_not or bitwise_not of one array; no gradient."""

    @staticmethod
    def forward(ctx, a, op):
        return backend.xp_of(a).asarray(_UNARY[op](a))


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


def _pair(op, a, b):
    a, b = as_tensor_pair(op, a, b)
    if a.shape != b.shape:
        broadcast_shape(op, a.shape, b.shape)
    check_same_device(op, a, b)
    return a, b


def _compare(op, a, b):
    return Compare.apply(*_pair(op, a, b), op=op)


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


def logical_and(input, other):
    return Bitwise.apply(*_pair("logical_and", input, other), op="logical_and")


def logical_or(input, other):
    return Bitwise.apply(*_pair("logical_or", input, other), op="logical_or")


def logical_xor(input, other):
    return Bitwise.apply(*_pair("logical_xor", input, other), op="logical_xor")


def logical_not(input):
    require_tensor("logical_not", "input", input)
    return BitwiseUnary.apply(input, op="logical_not")


def _require_bits(op, *tensors):
    for t in tensors:
        if isinstance(t, Tensor) and t.dtype.kind not in "biu":
            raise TypeError(f"{op}: needs bool or integer tensors, got dtype {t.dtype} (compare "
                            f"first, or use logical_{op[len('bitwise_'):]})")


def _bitwise(op, input, other):
    _require_bits(op, input, other)
    return Bitwise.apply(*_pair(op, input, other), op=op)


def bitwise_and(input, other):
    """Elementwise AND of bool or integer tensors (`a & b`)."""
    return _bitwise("bitwise_and", input, other)


def bitwise_or(input, other):
    """Elementwise OR of bool or integer tensors (`a | b`)."""
    return _bitwise("bitwise_or", input, other)


def bitwise_xor(input, other):
    """Elementwise XOR of bool or integer tensors (`a ^ b`)."""
    return _bitwise("bitwise_xor", input, other)


def bitwise_not(input):
    """NOT of a bool tensor, bitwise complement of an integer one (`~a`)."""
    require_tensor("bitwise_not", "input", input)
    _require_bits("bitwise_not", input)
    return BitwiseUnary.apply(input, op="bitwise_not")
