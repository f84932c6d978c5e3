"""Normalizations: BatchNorm (running or batch statistics), LayerNorm, GroupNorm, LRN.

BatchNormalization and LayerNormalization (opset 17) are ONNX operators. GroupNorm is
written out (mean and variance per sample and group, over a (N, G, -1) view): the
GroupNormalization of opset 18 scaled per group, not per channel, until opset 21.
LocalResponseNorm is the LRN operator for an odd window on 4-D input; ONNX centres an
even window one channel later than PyTorch (and minicnn), so an even window is written
out: the squares, padded by size//2 channels before and (size−1)//2 after, averaged over
the window by an AveragePool.
"""
import numpy as np

from ..functional.normalization import (BatchNorm, BatchNormEval, GroupNorm, LayerNorm,
                                        LocalResponseNorm)
from .registry import converts


def _channel_vector(g, value, channels, dtype, fill):
    """The name of a per-channel weight or bias, or of a constant `fill` where it is None."""
    if value is None:
        return g.const(np.full(channels, fill), dtype)
    return g.cast(value.name, value.dtype, dtype)


@converts(BatchNormEval)
def _batch_norm_eval(g, step):
    x, weight, bias, mean, var = step.inputs
    c = x.shape[1]
    g.node("BatchNormalization",
           [x.name, _channel_vector(g, weight, c, x.dtype, 1),
            _channel_vector(g, bias, c, x.dtype, 0), g.cast(mean.name, mean.dtype, x.dtype),
            g.cast(var.name, var.dtype, x.dtype)],
           step.outputs[0].name, epsilon=float(step.params["eps"]))


def _standardize(g, x, axes, eps, dtype):
    """(x − mean) / sqrt(var + eps), mean and biased var over `axes`."""
    centered = g.node("Sub", [x, g.reduce("ReduceMean", x, axes, True)])
    var = g.reduce("ReduceMean", g.node("Mul", [centered, centered]), axes, True)
    return g.node("Div", [centered, g.node("Sqrt", [g.node("Add", [var, g.const(eps, dtype)])])])


def _scale_shift(g, x, weight, bias, ndim, out):
    """x · weight + bias per channel (axis 1 of `ndim` axes), each optional."""
    shape = [-1] + [1] * (ndim - 2)
    if weight is not None:
        x = g.node("Mul", [x, g.reshape(weight.name, shape)])
    if bias is not None:
        x = g.node("Add", [x, g.reshape(bias.name, shape)])
    g.node("Identity", [x], out)


@converts(BatchNorm)
def _batch_norm_batch_statistics(g, step):
    """Batch statistics (a BatchNorm without running statistics): the output only."""
    x, weight, bias = step.inputs
    axes = [0] + list(range(2, len(x.shape)))
    xhat = _standardize(g, x.name, axes, step.params["eps"], x.dtype)
    _scale_shift(g, xhat, weight, bias, len(x.shape), step.outputs[0].name)


@converts(LayerNorm)
def _layer_norm(g, step):
    x, weight, bias = step.inputs
    n_axes = step.params["n_axes"]
    scale = weight.name if weight is not None else \
        g.const(np.ones(x.shape[len(x.shape) - n_axes:]), x.dtype)
    g.node("LayerNormalization", [x.name, scale, None if bias is None else bias.name],
           step.outputs[0].name, axis=-n_axes, epsilon=float(step.params["eps"]))


@converts(GroupNorm)
def _group_norm(g, step):
    x, weight, bias = step.inputs
    grouped = g.reshape(x.name, [x.shape[0], step.params["num_groups"], -1])
    xhat = _standardize(g, grouped, [2], step.params["eps"], x.dtype)
    _scale_shift(g, g.reshape(xhat, x.shape), weight, bias, len(x.shape),
                 step.outputs[0].name)


@converts(LocalResponseNorm)
def _local_response_norm(g, step):
    (x,) = step.inputs
    p = step.params
    size, alpha, beta, k = p["size"], p["alpha"], p["beta"], p["k"]
    shape = x.shape
    four_d = shape if len(shape) == 4 else (shape[0], shape[1], int(np.prod(shape[2:])), 1)
    x4 = x.name if len(shape) == 4 else g.reshape(x.name, four_d)
    out = step.outputs[0].name if len(shape) == 4 else None
    if size % 2:
        y = g.node("LRN", [x4], out, size=size, alpha=float(alpha), beta=float(beta),
                   bias=float(k))
    else:
        n, c, h, w = four_d
        squares = g.reshape(g.node("Mul", [x4, x4]), [n, 1, c, h * w])
        pads = g.ints([0, 0, size // 2, 0, 0, 0, (size - 1) // 2, 0])
        window_mean = g.node("AveragePool", [g.node("Pad", [squares, pads])],
                             kernel_shape=[size, 1])
        c = lambda value: g.const(value, x.dtype)   # noqa: E731
        base = g.node("Add", [g.node("Mul", [g.reshape(window_mean, four_d), c(alpha)]), c(k)])
        y = g.node("Div", [x4, g.node("Pow", [base, c(beta)])], out)
    if len(shape) != 4:
        g.reshape(y, shape, step.outputs[0].name)
