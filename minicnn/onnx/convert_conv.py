"""Convolutions: every path conv2d takes (naive, im2col + GEMM, the direct depthwise and
grouped kernels, pointwise, Winograd, space-to-depth) becomes one ONNX Conv;
conv_transpose2d becomes ConvTranspose.

conv2d picks its path by shape and gradient needs, not by meaning, so each path's
Function carries what the Conv needs: the pointwise path has already applied its stride by
slicing the input (recorded as a Slice), and the Winograd path runs at stride 1 without
dilation.
"""
from ..functional.conv import Conv2dGemm, ConvTranspose2dGemm
from ..functional.conv_direct import DirectConv2d
from ..functional.conv_naive import Conv2dNaive
from ..functional.conv_pointwise import Conv2dPointwise
from ..functional.conv_space_to_depth import Conv2dSpaceToDepth
from ..functional.conv_winograd import Conv2dWinograd
from .registry import converts


def _conv(g, step, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    x, w, b = step.inputs
    g.node("Conv", [x.name, w.name, None if b is None else b.name], step.outputs[0].name,
           kernel_shape=list(w.shape[2:]), strides=list(stride),
           pads=[padding[0], padding[1], padding[0], padding[1]], dilations=list(dilation),
           group=groups)


@converts(Conv2dGemm)
@converts(Conv2dNaive)
@converts(DirectConv2d)
def _conv_gemm(g, step):
    p = step.params
    _conv(g, step, p["stride"], p["padding"], p["dilation"], p["groups"])


@converts(Conv2dPointwise)
def _pointwise(g, step):
    _conv(g, step)


@converts(Conv2dWinograd)
def _winograd(g, step):
    _conv(g, step, padding=step.params["padding"], groups=step.params.get("groups", 1))


@converts(Conv2dSpaceToDepth)
def _space_to_depth(g, step):
    _conv(g, step, step.params["stride"], step.params["padding"])


@converts(ConvTranspose2dGemm)
def _conv_transpose(g, step):
    """ConvTranspose with output_padding: the output size minicnn computed, less the size
    that stride, padding, dilation and kernel give alone."""
    x, w, b = step.inputs
    p = step.params
    kernel = w.shape[2:]
    extra = [out - ((n - 1) * s - 2 * pad + d * (k - 1) + 1)
             for out, n, s, pad, d, k in zip(p["output_shape"], x.shape[2:], p["stride"],
                                             p["padding"], p["dilation"], kernel)]
    g.node("ConvTranspose", [x.name, w.name, None if b is None else b.name],
           step.outputs[0].name, kernel_shape=list(kernel), strides=list(p["stride"]),
           pads=[p["padding"][0], p["padding"][1], p["padding"][0], p["padding"][1]],
           dilations=list(p["dilation"]), group=p["groups"], output_padding=extra)
