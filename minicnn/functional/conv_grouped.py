"""A grouped convolution whose groups have few channels (the "grouped" algorithm of
conv_select.py): direct kernels (kernels grouped_conv2d, _grad_input, _grad_weight) that
take one block of images and one group at a time, for the forward pass and both gradients.

im2col + GEMM would run one GEMM per group, each as thin as the group is narrow (ResNeXt's
32 groups of 4 channels: 4 rows by 36 columns), far below BLAS's rate, after copying every
pixel kh·kw times. The direct kernels keep a group's few planes in cache and compute four
output channels from four (channel, tap) sources per pass.
"""
from .. import kernels
from ..autograd import Function


class GroupedConv2d(Function):
    """y[n, g·OCg + k] = Σ_c x[n, g·Cg + c] ⋆ W[g·OCg + k, c] per group g."""

    fresh_input_grads = True

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        out = kernels.get("grouped_conv2d", x)(x, w, stride, padding, dilation, groups)
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        ctx.save_for_backward(x, w)
        ctx.params = stride, padding, dilation, groups
        return out

    @staticmethod
    def backward(ctx, g):
        """dX[g·Cg + c] = Σ_k dY[g·OCg + k] ⋆ᵀ W[g·OCg + k, c];
        dW[g·OCg + k, c] = Σₙ x[n, g·Cg + c] ⋆ dY[n, g·OCg + k]; db = Σ dY."""
        x, w = ctx.saved_arrays
        need_x, need_w, need_b = ctx.needs_input_grad
        dx = kernels.get("grouped_conv2d_grad_input", g)(g, w, x.shape, *ctx.params) \
            if need_x else None
        dw = kernels.get("grouped_conv2d_grad_weight", g)(x, g, w.shape, *ctx.params) \
            if need_w else None
        db = g.sum(axis=(0, 2, 3)) if need_b else None
        return dx, dw, db
