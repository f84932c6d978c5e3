"""Reductions: sum, mean, variance (and std), max and min (with their indices), logsumexp."""
import numpy as np

from ..functional.reduction import (AMax, ArgExtreme, LogSumExp, MaxDim, Mean, StdFromVar,
                                    Sum, Var)
from .registry import converts


@converts(Sum)
def _sum(g, step):
    """ReduceSum; bool and integer inputs sum as int64 (the output's dtype), as in minicnn."""
    (a,) = step.inputs
    out = step.outputs[0]
    g.reduce("ReduceSum", g.cast(a.name, a.dtype, out.dtype), step.params["axes"],
             step.params["keepdim"], out.name)


@converts(Mean)
def _mean(g, step):
    g.reduce("ReduceMean", step.inputs[0].name, step.params["axes"], step.params["keepdim"],
             step.outputs[0].name)


@converts(Var)
def _var(g, step):
    """Σ (a − mean)² / max(n − correction, 0), the mean taken first (two passes)."""
    (a,) = step.inputs
    axes = step.params["axes"]
    count = int(np.prod([a.shape[i] for i in axes]))
    divisor = max(count - step.params["correction"], 0)
    centered = g.node("Sub", [a.name, g.reduce("ReduceMean", a.name, axes, True)])
    total = g.reduce("ReduceSum", g.node("Mul", [centered, centered]), axes,
                     step.params["keepdim"])
    g.node("Div", [total, g.const(divisor, a.dtype)], step.outputs[0].name)


@converts(StdFromVar)
def _std(g, step):
    g.node("Sqrt", [step.inputs[0].name], step.outputs[0].name)


@converts(AMax)
def _amax(g, step):
    g.reduce("ReduceMax" if step.params["largest"] else "ReduceMin", step.inputs[0].name,
             step.params["axes"], step.params["keepdim"], step.outputs[0].name)


@converts(MaxDim)
def _max_dim(g, step):
    """(values, indices) along one axis: ReduceMax and ArgMax (the first maximum), or Min."""
    (a,) = step.inputs
    values, indices = step.outputs
    axis, keepdim, largest = step.params["axis"], step.params["keepdim"], step.params["largest"]
    x = a.name if a.shape else g.reshape(a.name, [1])
    scalar = not a.shape
    keep = keepdim and not scalar
    reduced = g.reduce("ReduceMax" if largest else "ReduceMin", x, [axis], keep,
                       None if scalar else values.name)
    index = g.node("ArgMax" if largest else "ArgMin", [x], None if scalar else indices.name,
                   axis=axis, keepdims=int(keep))
    if scalar:
        g.reshape(reduced, [], values.name)
        g.reshape(index, [], indices.name)


@converts(LogSumExp)
def _logsumexp(g, step):
    g.reduce("ReduceLogSumExp", step.inputs[0].name, step.params["axes"],
             step.params["keepdim"], step.outputs[0].name)


@converts(ArgExtreme)
def _arg_extreme(g, step):
    """ArgMax / ArgMin (the first extreme, as NumPy's); over the flattened input when no
    axis is given."""
    (a,) = step.inputs
    out = step.outputs[0]
    axis = step.params["axis"]
    op = "ArgMax" if step.params["largest"] else "ArgMin"
    if axis is None or not a.shape:
        index = g.node(op, [g.reshape(a.name, [-1])], axis=0, keepdims=0)
        g.reshape(index, out.shape, out.name)
        return
    g.node(op, [a.name], out.name, axis=axis, keepdims=int(step.params["keepdim"]))
