"""Elementwise arithmetic with broadcasting (casts and device moves: conversion.py)."""
import numpy as np

from .. import backend, kernels
from ..autograd import Function
from ..dtypes import get_default_dtype
from ..tensor import Tensor
from ._common import (as_tensor_pair, broadcast_shape, check_same_device, require_tensor,
                      unbroadcast, xp)
from .conversion import astype, check_memory_format


def _binary(function, op, a, b):
    a, b = as_tensor_pair(op, a, b)
    if a.shape != b.shape:
        broadcast_shape(op, a.shape, b.shape)
    return function.apply(a, b)


def _into_first(function, a, b, inplace):
    """function(a, b), or with `inplace` written into a (a's shape and dtype; see in_place);
    `function` takes out= as a ufunc does."""
    return function(a, b, out=a if inplace else None)


class Add(Function):
    @staticmethod
    def forward(ctx, a, b, inplace=False):
        ctx.shapes = a.shape, b.shape
        return _into_first(kernels.get("add", a), a, b, inplace)

    @staticmethod
    def backward(ctx, g):
        """da = db = g, each summed back to its input's shape."""
        sa, sb = ctx.shapes
        return unbroadcast(g, sa), unbroadcast(g, sb)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b, inplace=False):
        ctx.shapes = a.shape, b.shape
        return _into_first(kernels.get("subtract", a), a, b, inplace)

    @staticmethod
    def backward(ctx, g):
        """da = g, db = −g."""
        sa, sb = ctx.shapes
        return unbroadcast(g, sa), unbroadcast(-g, sb) if ctx.needs_input_grad[1] else None


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b, inplace=False):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)  # as PyTorch
        ctx.shapes = a.shape, b.shape
        return _into_first(kernels.get("multiply", a), a, b, inplace)

    @staticmethod
    def backward(ctx, g):
        """da = g·b, db = g·a."""
        a, b = ctx.saved_arrays
        sa, sb = ctx.shapes
        da = unbroadcast(g * b, sa) if ctx.needs_input_grad[0] else None
        db = unbroadcast(g * a, sb) if ctx.needs_input_grad[1] else None
        return da, db


class Div(Function):
    @staticmethod
    def forward(ctx, a, b, inplace=False):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)  # as PyTorch
        ctx.shapes = a.shape, b.shape
        return _into_first(xp(a).true_divide, a, b, inplace)

    @staticmethod
    def backward(ctx, g):
        """da = g / b, db = −g·a / b²."""
        a, b = ctx.saved_arrays
        sa, sb = ctx.shapes
        da = unbroadcast(g / b, sa) if ctx.needs_input_grad[0] else None
        db = unbroadcast(-g * a / (b * b), sb) if ctx.needs_input_grad[1] else None
        return da, db


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        """da = g·b·a^(b−1) (0 where b = 0), db = g·a^b·ln a (0 where a = 0 and b ≥ 0; NaN
        for a < 0), as PyTorch."""
        a, b, out = ctx.saved_arrays
        m = xp(a)
        da = db = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.needs_input_grad[0]:
                da = unbroadcast(m.where(b == 0, 0, g * b * a ** (b - 1)), a.shape)
            if ctx.needs_input_grad[1]:
                db = unbroadcast(m.where((a == 0) & (b >= 0), 0, g * out * m.log(a)), b.shape)
        return da, db


class PowScalar(Function):
    @staticmethod
    def forward(ctx, a, exponent):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        return a ** exponent

    @staticmethod
    def backward(ctx, g):
        """da = g·p·a^(p−1)."""
        (a,) = ctx.saved_arrays
        p = ctx.exponent
        if p == 2:
            return g * 2 * a
        if p == 0:  # as PyTorch: 0, also at a = 0 where p·a^(p−1) is 0·∞
            return xp(g).zeros_like(g)
        return g * (p * a ** (p - 1))


class Maximum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp(a).maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        """The gradient goes to the larger input; ties split it in half (as PyTorch)."""
        return _select_backward(ctx, g, lambda a, b: a < b)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp(a).minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        """The gradient goes to the smaller input; ties split it in half (as PyTorch)."""
        return _select_backward(ctx, g, lambda a, b: a > b)


def _select_backward(ctx, g, loses):
    """PyTorch's rule: each input gets g (g/2 on ties) except where it `loses`; next to a
    NaN neither loses, so both get g."""
    a, b = ctx.saved_arrays
    shared = g * xp(g).where(a == b, g.dtype.type(0.5), g.dtype.type(1))
    da = unbroadcast(shared * ~loses(a, b), a.shape) if ctx.needs_input_grad[0] else None
    db = unbroadcast(shared * ~loses(b, a), b.shape) if ctx.needs_input_grad[1] else None
    return da, db


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        """da = −g."""
        return -g


class Where(Function):
    @staticmethod
    def forward(ctx, a, b, condition):
        ctx.save_for_backward(condition)
        ctx.shapes = a.shape, b.shape
        return xp(a).where(condition, a, b)

    @staticmethod
    def backward(ctx, g):
        """da = g where condition, db = g elsewhere."""
        (condition,) = ctx.saved_arrays
        sa, sb = ctx.shapes
        m = xp(g)
        da = unbroadcast(m.where(condition, g, 0), sa) if ctx.needs_input_grad[0] else None
        db = unbroadcast(m.where(condition, 0, g), sb) if ctx.needs_input_grad[1] else None
        return da, db


class Clone(Function):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        """da = g."""
        return g


def _scaled(op, input, other, alpha):
    """alpha · other for add/sub (a Python-number `other` stays a Python number); as
    PyTorch, a float alpha needs a floating result."""
    if alpha == 1:
        return other
    floating = any(isinstance(v, (float, np.floating)) or
                   (isinstance(v, Tensor) and v.dtype.kind == "f") for v in (input, other))
    if isinstance(alpha, (float, np.floating)) and not floating:
        raise TypeError(f"{op}: alpha={alpha} is a float but both operands are integral; "
                        f"for integral input tensors, alpha must not be a floating point number")
    return mul(other, alpha) if isinstance(other, Tensor) else other * alpha


def _reject_bool(op, operation, *operands):
    if any(isinstance(t, Tensor) and t.dtype.kind == "b" for t in operands):
        raise TypeError(f"{op}: {operation} with a bool tensor is not supported; use `~` or "
                        f"`logical_not` to invert a mask, `^` for exclusive or")


def add(input, other, alpha=1):
    return _binary(Add, "add", input, _scaled("add", input, other, alpha))


def sub(input, other, alpha=1):
    _reject_bool("sub", "subtraction", input, other)
    return _binary(Sub, "sub", input, _scaled("sub", input, other, alpha))


def mul(input, other):
    return _binary(Mul, "mul", input, other)


def div(input, other):
    """True division: integer and bool operands give the default float dtype (as PyTorch)."""
    a, b = as_tensor_pair("div", input, other)
    if a.dtype.kind != "f":
        a, b = astype(a, get_default_dtype()), astype(b, get_default_dtype())
    return _binary(Div, "div", a, b)


_IN_PLACE = {"add_": Add, "sub_": Sub, "mul_": Mul, "div_": Div}


def in_place(op, input, other):
    """`input.op(other)` (op "add_", "sub_", "mul_" or "div_") as its Function applied with
    inplace=True, so that a recorder tracing the forward (minicnn.onnx) sees the write:
    Tensor's own methods write the array directly. `other` takes input's dtype; the
    broadcast result must keep input's shape, as in PyTorch."""
    require_tensor(op, "input", input)
    a = input
    b = other if isinstance(other, Tensor) else as_tensor_pair(op, a, other)[1]
    check_same_device(op, a, b)
    if b.dtype != a.dtype:
        b = astype(b, a.dtype)
    shape = broadcast_shape(op, a.shape, b.shape)
    if shape != a.shape:
        raise RuntimeError(f"{op}: output with shape {list(a.shape)} doesn't match the "
                           f"broadcast shape {list(shape)}")
    return _IN_PLACE[op].apply(a, b, inplace=True)


def pow(input, exponent):
    """input ** exponent; a Python-number exponent takes the fast scalar path."""
    if isinstance(input, Tensor) and isinstance(exponent, (int, float, np.integer, np.floating)) \
            and not isinstance(exponent, bool):
        exponent = exponent.item() if isinstance(exponent, np.generic) else exponent
        if isinstance(exponent, float) and input.dtype.kind != "f":
            input = astype(input, get_default_dtype())  # int ** 0.5 is a float (as PyTorch)
        # a Python number, so that NumPy keeps the tensor's dtype (np.float64 would promote)
        return PowScalar.apply(input, exponent=exponent)
    return _binary(Pow, "pow", input, exponent)


def _require_tensors(op, input, other):
    """maximum/minimum take two tensors, as PyTorch (a number there is a mistake)."""
    for arg, value in (("input", input), ("other", other)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{op}: unsupported operand of type {type(value).__name__} for "
                            f"'{arg}', which must be a Tensor")


def maximum(input, other):
    _require_tensors("maximum", input, other)
    return _binary(Maximum, "maximum", input, other)


def minimum(input, other):
    _require_tensors("minimum", input, other)
    return _binary(Minimum, "minimum", input, other)


def neg(input):
    require_tensor("neg", "input", input)
    _reject_bool("neg", "negation", input)
    return Neg.apply(input)


def where(condition, input, other):
    """Elements of `input` where `condition` holds, else of `other` (broadcast together)."""
    input, other = as_tensor_pair("where", input, other)
    cond = condition if isinstance(condition, Tensor) else Tensor._make(
        condition if backend.is_cupy_array(condition) else np.asarray(condition))
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    check_same_device("where", input, other, cond)
    shape = broadcast_shape("where", cond.shape, input.shape, other.shape)
    # the output shape may come from the condition alone: give the branches that shape
    if input.shape != shape and other.shape != shape:
        input = input.expand(*shape)
    return Where.apply(input, other, condition=cond._data)


def clone(input, memory_format=None):
    require_tensor("clone", "input", input)
    check_memory_format("clone", input, memory_format)
    return Clone.apply(input)
