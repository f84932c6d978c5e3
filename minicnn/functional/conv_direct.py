"""Grouped convolutions run by direct kernels rather than im2col + GEMM: the "depthwise"
algorithm of conv_select.py (one input channel a group, kernels depthwise_conv2d,
_grad_input, _grad_weight) and the "grouped" one for groups of few channels (kernels
grouped_conv2d, _grad_input, _grad_weight, which take one block of images and one group at
a time).

im2col + GEMM would run one GEMM per group, each as thin as the group is narrow (ResNeXt's
32 groups of 4 channels: 4 rows by 36 columns; a depthwise group: 1 row by 9), far below
BLAS's rate, after copying every pixel kh·kw times. The direct kernels keep a group's few
planes in cache; the grouped ones compute four output channels from four (channel, tap)
sources per pass.
"""
from typing import Callable, NamedTuple

from .. import kernels
from ..autograd import Function


class DirectKernels(NamedTuple):
    """An algorithm's kernels, each looked up for arrays like its argument, and whether they
    take the group count (the depthwise ones know it from the input: one per channel)."""

    forward: Callable
    grad_input: Callable
    grad_weight: Callable
    takes_groups: bool


DIRECT_KERNELS = {
    "depthwise": DirectKernels(lambda a: kernels.get("depthwise_conv2d", a),
                               lambda a: kernels.get("depthwise_conv2d_grad_input", a),
                               lambda a: kernels.get("depthwise_conv2d_grad_weight", a),
                               takes_groups=False),
    "grouped": DirectKernels(lambda a: kernels.get("grouped_conv2d", a),
                             lambda a: kernels.get("grouped_conv2d_grad_input", a),
                             lambda a: kernels.get("grouped_conv2d_grad_weight", a),
                             takes_groups=True),
}


class DirectConv2d(Function):
    """y[n, g·OCg + k] = Σ_c x[n, g·Cg + c] ⋆ W[g·OCg + k, c] per group g (depthwise: Cg = 1,
    groups = C, OCg = OC / C output channels per input channel)."""

    fresh_input_grads = True

    @staticmethod
    def forward(ctx, x, w, b, algorithm, stride, padding, dilation, groups):
        family = DIRECT_KERNELS[algorithm]
        geometry = (stride, padding, dilation) + ((groups,) if family.takes_groups else ())
        out = family.forward(x)(x, w, *geometry)
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        ctx.save_for_backward(x, w)
        ctx.params = algorithm, geometry
        return out

    @staticmethod
    def backward(ctx, g):
        """dX[n, g·Cg + c] = Σ_k dY[n, g·OCg + k] ⋆ᵀ W[g·OCg + k, c];
        dW[g·OCg + k, c] = Σₙ x[n, g·Cg + c] ⋆ dY[n, g·OCg + k]; db = Σ dY."""
        x, w = ctx.saved_arrays
        algorithm, geometry = ctx.params
        family = DIRECT_KERNELS[algorithm]
        need_x, need_w, need_b = ctx.needs_input_grad
        dx = family.grad_input(g)(g, w, x.shape, *geometry) if need_x else None
        dw = family.grad_weight(g)(x, g, w.shape, *geometry) if need_w else None
        db = g.sum(axis=(0, 2, 3)) if need_b else None
        return dx, dw, db
