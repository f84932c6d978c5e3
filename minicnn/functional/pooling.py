"""Pooling: max (with argmax indices) and its unpooling, average, adaptive average/max."""

import numpy as np

from .. import kernels
from ..autograd import Function
from ..backend import on_input_device
from ..kernels.shapes import adaptive_bins, adaptive_pool_windows, pool_output_shape
from . import _validate as validate
from ._common import (check_same_device, index_range, require_floating, require_tensor,
                      shape_str, xp)
from ._float16 import computed_in_float32


class _ArgmaxPool(Function):
    """A max pool whose forward returns `_outputs(ctx, x, values, indices, windows)`:
    (values, flat argmax indices into each input plane), the indices not differentiable;
    `windows` (kernel_size, stride, padding, dilation) hold every output's window."""

    fresh_input_grads = True

    @staticmethod
    def _outputs(ctx, x, values, indices, windows):
        ctx.save_for_backward(indices)
        ctx.shape = x.shape
        ctx.windows = windows
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, g, _g_indices):
        """dx[argmax of each window] += dy: the gradient goes to the maximum it came from."""
        (indices,) = ctx.saved_arrays
        if g.size == 0:  # an empty batch (or channels): nothing to route
            return xp(g).zeros(ctx.shape, dtype=g.dtype)
        return kernels.get("max_pool2d_backward", g)(g, indices, ctx.shape, *ctx.windows)


class MaxPool2d(_ArgmaxPool):
    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation, ceil_mode):
        y, indices = kernels.get("max_pool2d", x)(x, kernel_size, stride, padding, dilation,
                                                  ceil_mode)
        return _ArgmaxPool._outputs(ctx, x, y, indices, (kernel_size, stride, padding, dilation))


class AvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
        ctx.shape = x.shape
        ctx.params = kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        return kernels.get("avg_pool2d", x)(x, *ctx.params)

    @staticmethod
    def backward(ctx, g):
        """dx = every window's dy / divisor spread evenly over the window's pixels."""
        return kernels.get("avg_pool2d_backward", g)(g, ctx.shape, *ctx.params)


class MaxUnpool2d(Function):
    @staticmethod
    def forward(ctx, x, indices, output_hw):
        m = xp(x)
        N, C = x.shape[:2]
        flat_idx = indices.reshape(N, C, -1)                             # (N, C, h*w)
        out = m.zeros((N, C, output_hw[0] * output_hw[1]), dtype=x.dtype)
        m.put_along_axis(out, flat_idx, x.reshape(N, C, -1), axis=2)
        ctx.save_for_backward(flat_idx)
        ctx.shape = x.shape
        return out.reshape((N, C) + tuple(output_hw))

    @staticmethod
    def backward(ctx, g):
        """dx = dy read back at the indices the values were placed at."""
        (flat_idx,) = ctx.saved_arrays
        N, C = g.shape[:2]
        return xp(g).take_along_axis(g.reshape(N, C, -1), flat_idx, axis=2).reshape(ctx.shape)


class AdaptiveAvgPool2d(Function):
    """y = A_h · x · A_wᵀ per plane, with A (out, in) holding 1/bin-size over each bin."""

    @staticmethod
    def forward(ctx, x, output_size):
        m = xp(x)
        a_h = m.asarray(_bin_average_matrix(x.shape[2], output_size[0]), dtype=x.dtype)
        a_w = m.asarray(_bin_average_matrix(x.shape[3], output_size[1]), dtype=x.dtype)
        ctx.save_for_backward(a_h, a_w)
        return a_h @ x @ a_w.T                                           # (N, C, oh, ow)

    @staticmethod
    def backward(ctx, g):
        """dx = A_hᵀ · dy · A_w."""
        a_h, a_w = ctx.saved_arrays
        return a_h.T @ g @ a_w


def _bin_average_matrix(size, out):
    matrix = np.zeros((out, size))
    for i, (start, stop) in enumerate(adaptive_bins(size, out)):
        matrix[i, start:stop] = 1.0 / (stop - start)
    return matrix


class AdaptiveMaxPool2d(_ArgmaxPool):
    @staticmethod
    def forward(ctx, x, output_size):
        m = xp(x)
        N, C, H, W = x.shape
        oh, ow = output_size
        values = m.empty((N, C, oh, ow), dtype=x.dtype)
        indices = m.empty((N, C, oh, ow), dtype=np.int64)
        for i, (h0, h1) in enumerate(adaptive_bins(H, oh)):
            for j, (w0, w1) in enumerate(adaptive_bins(W, ow)):
                window = x[:, :, h0:h1, w0:w1].reshape(N, C, (h1 - h0) * (w1 - w0))
                arg = window.argmax(axis=2)
                values[:, :, i, j] = m.take_along_axis(window, arg[..., None], axis=2)[..., 0]
                indices[:, :, i, j] = (h0 + arg // (w1 - w0)) * W + w0 + arg % (w1 - w0)
        windows = adaptive_pool_windows((H, W), (oh, ow)) + ((1, 1),)
        return _ArgmaxPool._outputs(ctx, x, values, indices, windows)


def _pool_input(op, input):
    validate.spatial_input(op, input)
    return (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)


def _pool_params(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Check the window arguments; return them as pairs (and check the output size)."""
    kernel, stride, padding, dilation = validate.pool_window(op, kernel_size, stride, padding,
                                                             dilation)
    out_hw = pool_output_shape(x.shape[2:], kernel, stride, padding, dilation, ceil_mode)
    if min(out_hw) <= 0:
        raise ValueError(f"{op}: output size {out_hw} is not positive (input shape "
                         f"{shape_str(x.shape)}, kernel_size {kernel}, stride {stride}, "
                         f"padding {padding}, dilation {dilation})")
    return kernel, stride, padding, dilation


@computed_in_float32("input")
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over each window; with return_indices also the flat h·W + w index of each maximum."""
    x, unbatched = _pool_input("max_pool2d", input)
    validate.max_pool_dtype("max_pool2d", x)
    window = _pool_params("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    kernel, stride, padding, dilation = window
    y, indices = MaxPool2d.apply(x, kernel_size=kernel, stride=stride, padding=padding,
                                 dilation=dilation, ceil_mode=bool(ceil_mode))
    if unbatched:
        y, indices = y.squeeze(0), indices.squeeze(0)
    return (y, indices) if return_indices else y


@computed_in_float32("input")
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    x, unbatched = _pool_input("avg_pool2d", input)
    require_floating("avg_pool2d", "input", x)
    kernel, stride, padding, _ = _pool_params("avg_pool2d", x, kernel_size, stride, padding, 1,
                                              ceil_mode)
    divisor = validate.divisor_override("avg_pool2d", divisor_override)
    y = AvgPool2d.apply(x, kernel_size=kernel, stride=stride, padding=padding,
                        ceil_mode=bool(ceil_mode),
                        count_include_pad=bool(count_include_pad),
                        divisor_override=divisor)
    return y.squeeze(0) if unbatched else y


@on_input_device
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Place each value at its index in a zero plane: the inverse of max_pool2d's selection."""
    op = "max_unpool2d"
    x, unbatched = _pool_input(op, input)
    require_tensor(op, "indices", indices)
    check_same_device(op, input, indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be an integer tensor, got dtype {indices.dtype}")
    index = indices.unsqueeze(0) if unbatched else indices
    if tuple(index.shape) != tuple(x.shape):
        raise ValueError(f"max_unpool2d: indices shape {shape_str(indices.shape)} does not match "
                         f"input shape {shape_str(input.shape)}")
    kh, kw = validate.int_pair(op, "kernel_size", kernel_size, 1)
    sh, sw = (kh, kw) if stride is None else validate.int_pair(op, "stride", stride, 1)
    ph, pw = validate.int_pair(op, "padding", padding, 0)
    default = ((x.shape[2] - 1) * sh - 2 * ph + kh, (x.shape[3] - 1) * sw - 2 * pw + kw)
    output_hw = default if output_size is None else _unpool_size(op, input, output_size)
    lo, hi = index_range(index._data)
    if lo < 0 or hi >= output_hw[0] * output_hw[1]:
        raise ValueError(f"max_unpool2d: indices reach {hi if hi >= 0 else lo} but the output "
                         f"plane {output_hw} has {output_hw[0] * output_hw[1]} positions")
    y = MaxUnpool2d.apply(x, indices=index._data, output_hw=output_hw)
    return y.squeeze(0) if unbatched else y


def _unpool_size(op, input, output_size):
    """The (H, W) of max_unpool2d's output_size: (H, W) or the input's rank of sizes."""
    sizes = validate.sizes(op, "output_size", output_size, 0)
    if len(sizes) not in (2, input.ndim):
        raise ValueError(f"{op}: output_size must have 2 or {input.ndim} values, got "
                         f"{output_size!r}")
    return sizes[-2:]


@computed_in_float32("input")
def adaptive_avg_pool2d(input, output_size):
    """Average over PyTorch's adaptive bins; output_size 1 is global average pooling."""
    x, unbatched = _pool_input("adaptive_avg_pool2d", input)
    require_floating("adaptive_avg_pool2d", "input", x)
    size = validate.adaptive_size("adaptive_avg_pool2d", output_size, x.shape[2:])
    y = x.mean(dim=(2, 3), keepdim=True) if size == (1, 1) else \
        AdaptiveAvgPool2d.apply(x, output_size=size)
    return y.squeeze(0) if unbatched else y


@computed_in_float32("input")
def adaptive_max_pool2d(input, output_size, return_indices=False):
    x, unbatched = _pool_input("adaptive_max_pool2d", input)
    validate.max_pool_dtype("adaptive_max_pool2d", x)
    oh, ow = validate.adaptive_size("adaptive_max_pool2d", output_size, x.shape[2:])
    H, W = x.shape[2:]
    if oh and ow and H % oh == 0 and W % ow == 0:
        window = (H // oh, W // ow)
        y, indices = MaxPool2d.apply(x, kernel_size=window, stride=window, padding=(0, 0),
                                     dilation=(1, 1), ceil_mode=False)
    else:
        y, indices = AdaptiveMaxPool2d.apply(x, output_size=(oh, ow))
    if unbatched:
        y, indices = y.squeeze(0), indices.squeeze(0)
    return (y, indices) if return_indices else y


def global_avg_pool2d(input):
    """Mean over H and W, keeping them as size 1: (N, C, H, W) -> (N, C, 1, 1)."""
    return adaptive_avg_pool2d(input, 1)


