"""Pooling: max and average (with ceil_mode), adaptive average and max.

ceil_mode is written as floor mode with the end padding that gives the same output size
(the sizes minicnn computed, with PyTorch's rule that no window starts in the end padding),
so no runtime's reading of ceil_mode matters: max pooling ignores padding, and average
pooling with count_include_pad=False leaves it out of the divisor. Average pooling that
counts the padding keeps ceil_mode=1 where the extra end padding would change a divisor.
Adaptive average pooling is A_h · x · A_wᵀ with the bins' averaging matrices (one
AveragePool where the bins are equal); adaptive max pooling takes the maximum over each
row bin, then over each column bin (a maximum over a rectangle is the two in turn).
"""
import numpy as np

from ..functional.pooling import (AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d,
                                  MaxPool2d, MaxUnpool2d)
from ..kernels.shapes import adaptive_bins
from .registry import converts, refuse


def _end_padding(in_hw, out_hw, kernel, stride, padding, dilation):
    """The end padding per axis under which floor mode gives `out_hw`, or None where one
    would reach a kernel's size (which ONNX does not allow)."""
    ends = []
    for n, out, k, s, p, d in zip(in_hw, out_hw, kernel, stride, padding, dilation):
        needed = (out - 1) * s + d * (k - 1) + 1        # the padded extent the windows span
        end = max(p, needed - n - p)
        if end >= k:
            return None
        ends.append(end)
    return ends


def _window_attributes(step, dilation=(1, 1)):
    """kernel_shape, strides, pads (and dilations when not 1) of a pooling step; pads in
    floor mode where it can give the output size, else ceil_mode=1."""
    x, y = step.inputs[0], step.outputs[0]
    p = step.params
    kernel, stride, padding = p["kernel_size"], p["stride"], p["padding"]
    attributes = dict(kernel_shape=list(kernel), strides=list(stride))
    if tuple(dilation) != (1, 1):
        attributes["dilations"] = list(dilation)
    ends = _end_padding(x.shape[2:], y.shape[2:], kernel, stride, padding, dilation)
    if ends is None:
        ends = list(padding)
        attributes["ceil_mode"] = 1
    attributes["pads"] = [padding[0], padding[1], ends[0], ends[1]]
    return attributes, ends


@converts(MaxPool2d)
def _max_pool(g, step):
    """MaxPool's values; its indices (a flat index per plane in minicnn, per tensor in
    ONNX) are left out, so an op that reads them cannot be exported."""
    attributes, _ = _window_attributes(step, step.params["dilation"])
    g.node("MaxPool", [step.inputs[0].name], step.outputs[0].name, **attributes)


@converts(AvgPool2d)
def _avg_pool(g, step):
    p = step.params
    attributes, ends = _window_attributes(step)
    count_pad = p["count_include_pad"]
    if count_pad and list(ends) != list(p["padding"]):
        attributes["pads"] = [*p["padding"], *p["padding"]]
        attributes["ceil_mode"] = 1
    divisor = p["divisor_override"]
    if divisor is not None and (not count_pad or attributes.get("ceil_mode")):
        raise refuse(step, "divisor_override is exported only with count_include_pad=True "
                           "and windows that stay inside the padded input")
    out = step.outputs[0].name
    pooled = g.node("AveragePool", [step.inputs[0].name],
                    out if divisor is None else None, count_include_pad=int(count_pad),
                    **attributes)
    if divisor is not None:
        area = p["kernel_size"][0] * p["kernel_size"][1]
        g.node("Mul", [pooled, g.const(area / divisor, step.inputs[0].dtype)], out)


def _bin_matrix(size, out, dtype):
    matrix = np.zeros((out, size), dtype=dtype)
    for i, (start, stop) in enumerate(adaptive_bins(size, out)):
        matrix[i, start:stop] = 1.0 / (stop - start)
    return matrix


@converts(AdaptiveAvgPool2d)
def _adaptive_avg_pool(g, step):
    x, y = step.inputs[0], step.outputs[0]
    (h, w), (oh, ow) = x.shape[2:], y.shape[2:]
    if h % oh == 0 and w % ow == 0:
        window = [h // oh, w // ow]
        g.node("AveragePool", [x.name], y.name, kernel_shape=window, strides=window)
        return
    a_h = g.const(_bin_matrix(h, oh, x.dtype), x.dtype)
    a_w_t = g.const(_bin_matrix(w, ow, x.dtype).T, x.dtype)
    g.node("MatMul", [a_h, g.node("MatMul", [x.name, a_w_t])], y.name)


def _bin_maxima(g, x, axis, size, out):
    """The maximum of each of the `out` adaptive bins of `size` along `axis`, joined."""
    parts = [g.reduce("ReduceMax", g.node("Slice", [x, g.ints([start]), g.ints([stop]),
                                                    g.ints([axis])]), [axis], True)
             for start, stop in adaptive_bins(size, out)]
    return parts[0] if len(parts) == 1 else g.node("Concat", parts, axis=axis)


@converts(AdaptiveMaxPool2d)
def _adaptive_max_pool(g, step):
    x, y = step.inputs[0], step.outputs[0]
    (h, w), (oh, ow) = x.shape[2:], y.shape[2:]
    rows = _bin_maxima(g, x.name, 2, h, oh)
    g.node("Identity", [_bin_maxima(g, rows, 3, w, ow)], y.name)


@converts(MaxUnpool2d)
def _max_unpool(g, step):
    raise refuse(step, "it places values at max pooling's indices, which minicnn.onnx does "
                       "not export")
