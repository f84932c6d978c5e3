"""Element-wise ops: arithmetic, activations, unary functions, casts and copies.

Operands already share one dtype when they reach a Function (minicnn casts them first, and
those casts are recorded too), so each op maps to its ONNX operator with the same
broadcasting; a scalar parameter becomes a constant of the input's dtype.
"""
import math

from onnx import helper

from ..functional.activation import (ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, SiLU,
                                     Sigmoid, Softmax, Tanh)
from ..functional.arithmetic import (Add, Clone, Div, Maximum, Minimum, Mul, Neg, Pow,
                                     PowScalar, Sub, Where)
from ..functional.comparison import Compare, IsFinite
from ..functional.conversion import Cast, ToDevice
from ..functional.dropout import Dropout
from ..functional.unary import Abs, Clamp, ClampTensor, Exp, Log, Rsqrt, Sqrt
from .registry import converts, refuse

_OPERATORS = {Add: "Add", Sub: "Sub", Mul: "Mul", Div: "Div", Pow: "Pow", Maximum: "Max",
              Minimum: "Min", Neg: "Neg", Exp: "Exp", Log: "Log", Sqrt: "Sqrt", Abs: "Abs",
              ReLU: "Relu", Sigmoid: "Sigmoid", Tanh: "Tanh", Clone: "Identity",
              ToDevice: "Identity"}


@converts(*_OPERATORS)
def _same_operator(g, step):
    """One ONNX operator on the same inputs."""
    g.node(_OPERATORS[step.function], [v.name for v in step.inputs], step.outputs[0].name)


@converts(PowScalar)
def _pow_scalar(g, step):
    (a,) = step.inputs
    g.node("Pow", [a.name, g.const(step.params["exponent"], a.dtype)], step.outputs[0].name)


@converts(Where)
def _where(g, step):
    a, b = step.inputs
    condition = step.array(step.params["condition"])
    g.node("Where", [condition.name, a.name, b.name], step.outputs[0].name)


@converts(Rsqrt)
def _rsqrt(g, step):
    g.node("Reciprocal", [g.node("Sqrt", [step.inputs[0].name])], step.outputs[0].name)


def _clip(g, a, low, high, out):
    bounds = [None if v is None else g.const(v, a.dtype) for v in (low, high)]
    g.node("Clip", [a.name, *bounds], out)


@converts(Clamp)
def _clamp(g, step):
    _clip(g, step.inputs[0], step.params["min"], step.params["max"], step.outputs[0].name)


@converts(Hardtanh)
def _hardtanh(g, step):
    _clip(g, step.inputs[0], step.params["min_val"], step.params["max_val"],
          step.outputs[0].name)


@converts(ClampTensor)
def _clamp_tensor(g, step):
    """min(max(a, lo), hi): hi wins where lo > hi, as in minicnn and PyTorch."""
    a, low, high = step.inputs
    x = a.name if low is None else g.node("Max", [a.name, low.name])
    if high is None:
        g.node("Identity", [x], step.outputs[0].name)
    else:
        g.node("Min", [x, high.name], step.outputs[0].name)


@converts(LeakyReLU)
def _leaky_relu(g, step):
    g.node("LeakyRelu", [step.inputs[0].name], step.outputs[0].name,
           alpha=float(step.params["negative_slope"]))


@converts(ELU)
def _elu(g, step):
    g.node("Elu", [step.inputs[0].name], step.outputs[0].name,
           alpha=float(step.params["alpha"]))


@converts(SiLU)
def _silu(g, step):
    x = step.inputs[0].name
    g.node("Mul", [x, g.node("Sigmoid", [x])], step.outputs[0].name)


@converts(GELU)
def _gelu(g, step):
    """Gelu from opset 20; before it, 0.5·x·(1 + erf(x/√2)), or with approximate='tanh'
    0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))."""
    (a,) = step.inputs
    approximate = step.params["approximate"]
    out = step.outputs[0].name
    if g.opset >= 20:
        g.node("Gelu", [a.name], out, approximate=approximate)
        return
    c = lambda value: g.const(value, a.dtype)   # noqa: E731
    if approximate == "tanh":
        cube = g.node("Mul", [g.node("Pow", [a.name, c(3)]), c(0.044715)])
        inner = g.node("Mul", [g.node("Add", [a.name, cube]), c(math.sqrt(2 / math.pi))])
        shape = g.node("Tanh", [inner])
    else:
        shape = g.node("Erf", [g.node("Div", [a.name, c(math.sqrt(2))])])
    half_x = g.node("Mul", [a.name, c(0.5)])
    g.node("Mul", [half_x, g.node("Add", [shape, c(1)])], out)


@converts(Softmax, LogSoftmax)
def _softmax(g, step):
    g.node(step.op, [step.inputs[0].name], step.outputs[0].name, axis=step.params["axis"])


_COMPARISONS = {"eq": "Equal", "lt": "Less", "le": "LessOrEqual", "gt": "Greater",
                "ge": "GreaterOrEqual"}


@converts(Compare)
def _compare(g, step):
    a, b = (v.name for v in step.inputs)
    op, out = step.params["op"], step.outputs[0].name
    if op == "ne":
        g.node("Not", [g.node("Equal", [a, b])], out)
    else:
        g.node(_COMPARISONS[op], [a, b], out)


@converts(IsFinite)
def _isfinite(g, step):
    (a,) = step.inputs
    if a.dtype.kind != "f":
        g.node("Expand", [g.const(True, bool), g.ints(a.shape)], step.outputs[0].name)
        return
    infinite_or_nan = g.node("Or", [g.node("IsInf", [a.name]), g.node("IsNaN", [a.name])])
    g.node("Not", [infinite_or_nan], step.outputs[0].name)


@converts(Cast)
def _cast(g, step):
    g.node("Cast", [step.inputs[0].name], step.outputs[0].name,
           to=helper.np_dtype_to_tensor_dtype(step.outputs[0].dtype))


@converts(Dropout)
def _dropout(g, step):
    raise refuse(step, "dropout in training mode draws a random mask; export runs the "
                       "model in eval mode, so a dropout applied with training=True in "
                       "forward() must follow self.training instead")
