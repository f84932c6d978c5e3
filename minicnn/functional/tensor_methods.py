"""Binds the ops of minicnn.functional to Tensor as methods and operators
(`x + y`, `x @ w`, `x.sum(1)`, `x.relu()`, `x.to("cuda")`, `x.float()` ...), so that
tensor.py stays below functional in the layering."""
import numpy as np

from .. import backend, trace_mode
from ..tensor import Tensor
from . import (activation, arithmetic, comparison, conversion, indexing, linalg, reduction,
               shape, unary)


def _reflected(op):
    return lambda self, other: op(other, self)


def _sizes_method(op):
    """Methods that take sizes either packed or spread: x.reshape(2, 3) or x.reshape((2, 3))."""
    return lambda self, *sizes: op(self, *sizes)


def _cast_method(dtype):
    """x.float(), x.long() ...: `x.to(dtype)` (with PyTorch's `memory_format` keyword)."""
    return lambda self, memory_format=None: conversion.to(self, dtype=dtype,
                                                          memory_format=memory_format)


def _cuda(self, device=None):
    return conversion.to(self, "cuda" if device is None else backend.Device("cuda", device))


_OPERATORS = {
    "__add__": arithmetic.add, "__radd__": _reflected(arithmetic.add),
    "__sub__": arithmetic.sub, "__rsub__": _reflected(arithmetic.sub),
    "__mul__": arithmetic.mul, "__rmul__": _reflected(arithmetic.mul),
    "__truediv__": arithmetic.div, "__rtruediv__": _reflected(arithmetic.div),
    "__pow__": arithmetic.pow, "__rpow__": _reflected(arithmetic.pow),
    "__matmul__": linalg.matmul, "__rmatmul__": _reflected(linalg.matmul),
    "__neg__": arithmetic.neg, "__abs__": unary.abs,
    "__eq__": comparison.eq, "__ne__": comparison.ne, "__lt__": comparison.lt,
    "__le__": comparison.le, "__gt__": comparison.gt, "__ge__": comparison.ge,
    "__getitem__": indexing.getitem,
    "__and__": comparison.bitwise_and, "__rand__": _reflected(comparison.bitwise_and),
    "__or__": comparison.bitwise_or, "__ror__": _reflected(comparison.bitwise_or),
    "__xor__": comparison.bitwise_xor, "__rxor__": _reflected(comparison.bitwise_xor),
    "__invert__": comparison.bitwise_not,
}

_METHODS = {
    "add": arithmetic.add, "sub": arithmetic.sub, "mul": arithmetic.mul, "div": arithmetic.div,
    "pow": arithmetic.pow, "neg": arithmetic.neg, "maximum": arithmetic.maximum,
    "minimum": arithmetic.minimum, "clone": arithmetic.clone, "astype": conversion.astype,
    "exp": unary.exp, "log": unary.log, "sqrt": unary.sqrt, "rsqrt": unary.rsqrt,
    "log1p": unary.log1p, "sin": unary.sin, "cos": unary.cos, "sinh": unary.sinh,
    "cosh": unary.cosh,
    "abs": unary.abs, "clamp": unary.clamp, "clip": unary.clamp,
    "sum": reduction.sum, "mean": reduction.mean, "var": reduction.var, "std": reduction.std,
    "max": reduction.max, "min": reduction.min, "amax": reduction.amax, "amin": reduction.amin,
    "logsumexp": reduction.logsumexp, "argmax": reduction.argmax, "argmin": reduction.argmin,
    "all": reduction.all, "any": reduction.any, "norm": reduction.norm,
    "matmul": linalg.matmul, "mm": linalg.mm, "bmm": linalg.bmm,
    "reshape": _sizes_method(shape.reshape), "view": _sizes_method(shape.view),
    "permute": _sizes_method(shape.permute), "expand": _sizes_method(shape.expand),
    "repeat": _sizes_method(shape.repeat), "transpose": shape.transpose, "t": shape.t,
    "flatten": shape.flatten, "squeeze": shape.squeeze, "unsqueeze": shape.unsqueeze,
    "expand_as": shape.expand_as, "split": shape.split, "chunk": shape.chunk,
    "unbind": shape.unbind, "contiguous": shape.contiguous,
    "view_as": lambda self, other: shape.view(self, other.shape),
    "reshape_as": lambda self, other: shape.reshape(self, other.shape),
    "index_select": indexing.index_select,
    "eq": comparison.eq, "ne": comparison.ne, "lt": comparison.lt, "le": comparison.le,
    "gt": comparison.gt, "ge": comparison.ge, "equal": comparison.equal,
    "allclose": comparison.allclose, "isfinite": comparison.isfinite,
    "logical_and": comparison.logical_and, "logical_or": comparison.logical_or,
    "logical_xor": comparison.logical_xor, "logical_not": comparison.logical_not,
    "bitwise_and": comparison.bitwise_and, "bitwise_or": comparison.bitwise_or,
    "bitwise_xor": comparison.bitwise_xor, "bitwise_not": comparison.bitwise_not,
    "relu": activation.relu, "sigmoid": activation.sigmoid, "tanh": activation.tanh,
    "relu_": activation.relu_, "sigmoid_": activation.sigmoid_, "tanh_": activation.tanh_,
    "softmax": activation.softmax, "log_softmax": activation.log_softmax,
    "to": conversion.to, "cpu": lambda self: conversion.to(self, "cpu"), "cuda": _cuda,
    "float": _cast_method(np.float32), "double": _cast_method(np.float64),
    "half": _cast_method(np.float16), "long": _cast_method(np.int64),
    "int": _cast_method(np.int32), "bool": _cast_method(np.bool_),
    "type_as": lambda self, other: conversion.to(self, dtype=other.dtype),
    "type": conversion.tensor_type,
}


def _traced_in_place(name, direct, takes_alpha):
    """x.add_(y) and kin (x += y included, which calls them): the direct write of tensor.py,
    or, while a recorder traces the forward, the same write as a recorded Function."""
    def scaled(self, other, alpha=1):
        if trace_mode.state.recorder is None:
            return direct(self, other, alpha=alpha)
        if alpha != 1:
            other = arithmetic.mul(other, alpha) if isinstance(other, Tensor) else other * alpha
        return arithmetic.in_place(name, self, other)

    def unscaled(self, other):
        if trace_mode.state.recorder is None:
            return direct(self, other)
        return arithmetic.in_place(name, self, other)

    method = scaled if takes_alpha else unscaled
    method.__name__ = name
    return method


def bind():
    for name, op in {**_OPERATORS, **_METHODS}.items():
        setattr(Tensor, name, op)
    for name, takes_alpha in (("add_", True), ("sub_", True), ("mul_", False), ("div_", False)):
        setattr(Tensor, name, _traced_in_place(name, getattr(Tensor, name), takes_alpha))
    Tensor.T = property(lambda self: shape.permute(self, tuple(reversed(range(self.ndim)))))
    Tensor.mT = property(lambda self: shape.transpose(self, -2, -1))
