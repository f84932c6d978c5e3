"""Pooling: max (with argmax indices) and its unpooling, average, adaptive average/max."""

import numpy as np

from .. import kernels
from ..autograd import Function
from ..kernels.shapes import pair, pool_output_shape
from ._common import shape_str, xp


class _ArgmaxPool(Function):
    """A max pool whose forward returns `_outputs(ctx, x, values, indices)`: (values, flat
    argmax indices into each input plane), the indices not differentiable."""

    fresh_input_grads = True

    @staticmethod
    def _outputs(ctx, x, values, indices):
        ctx.save_for_backward(indices)
        ctx.shape = x.shape
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, g, _g_indices):
        """dx[argmax of each window] += dy: the gradient goes to the maximum it came from."""
        (indices,) = ctx.saved_arrays
        if g.size == 0:  # an empty batch (or channels): nothing to route
            return xp(g).zeros(ctx.shape, dtype=g.dtype)
        return kernels.get("max_pool2d_backward", g)(g, indices, ctx.shape)


class MaxPool2d(_ArgmaxPool):
    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation, ceil_mode):
        y, indices = kernels.get("max_pool2d", x)(x, kernel_size, stride, padding, dilation,
                                                  ceil_mode)
        return _ArgmaxPool._outputs(ctx, x, y, indices)


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


def _bins(size, out):
    """PyTorch's adaptive bins: [floor(i·size/out), ceil((i+1)·size/out)) for i < out."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _bin_average_matrix(size, out):
    matrix = np.zeros((out, size))
    for i, (start, stop) in enumerate(_bins(size, out)):
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
        for i, (h0, h1) in enumerate(_bins(H, oh)):
            for j, (w0, w1) in enumerate(_bins(W, ow)):
                window = x[:, :, h0:h1, w0:w1].reshape(N, C, (h1 - h0) * (w1 - w0))
                arg = window.argmax(axis=2)
                values[:, :, i, j] = m.take_along_axis(window, arg[..., None], axis=2)[..., 0]
                indices[:, :, i, j] = (h0 + arg // (w1 - w0)) * W + w0 + arg % (w1 - w0)
        return _ArgmaxPool._outputs(ctx, x, values, indices)


def _pool_input(op, input):
    if input.ndim not in (3, 4):
        raise ValueError(f"{op}: expected input of shape (N, C, H, W) or (C, H, W), got shape "
                         f"{shape_str(input.shape)}")
    return (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)


def _pool_params(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Check the window arguments; return them as pairs and the output size."""
    names = ("kernel_size", "stride", "padding", "dilation")
    values = (kernel_size, kernel_size if stride is None or stride == [] else stride,
              padding, dilation)
    try:
        pairs = [pair(v) for v in values]
    except (TypeError, ValueError):
        raise ValueError(f"{op}: kernel_size, stride, padding and dilation must be ints or "
                         f"pairs, got {values}") from None
    (kh, kw), stride, padding, dilation = pairs
    for name, (a, b) in zip(names, pairs):
        if min(a, b) < (0 if name == "padding" else 1):
            raise ValueError(f"{op}: {name} must be {'non-negative' if name == 'padding' else 'positive'}"
                             f", got {(a, b)}")
    if padding[0] > kh // 2 or padding[1] > kw // 2:
        raise ValueError(f"{op}: padding {padding} should be at most half of kernel_size "
                         f"{(kh, kw)}")
    out_hw = pool_output_shape(x.shape[2:], (kh, kw), stride, padding, dilation, ceil_mode)
    if min(out_hw) <= 0:
        raise ValueError(f"{op}: output size {out_hw} is not positive (input shape "
                         f"{shape_str(x.shape)}, kernel_size {(kh, kw)}, stride {stride}, "
                         f"padding {padding}, dilation {dilation})")
    return (kh, kw), stride, padding, dilation


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over each window; with return_indices also the flat h·W + w index of each maximum."""
    x, unbatched = _pool_input("max_pool2d", input)
    window = _pool_params("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    kernel, stride, padding, dilation = window
    y, indices = MaxPool2d.apply(x, kernel_size=kernel, stride=stride, padding=padding,
                                 dilation=dilation, ceil_mode=bool(ceil_mode))
    if unbatched:
        y, indices = y.squeeze(0), indices.squeeze(0)
    return (y, indices) if return_indices else y


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    x, unbatched = _pool_input("avg_pool2d", input)
    kernel, stride, padding, _ = _pool_params("avg_pool2d", x, kernel_size, stride, padding, 1,
                                              ceil_mode)
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"avg_pool2d: divisor_override must be positive, got {divisor_override}")
    y = AvgPool2d.apply(x, kernel_size=kernel, stride=stride, padding=padding,
                        ceil_mode=bool(ceil_mode),
                        count_include_pad=bool(count_include_pad),
                        divisor_override=divisor_override)
    return y.squeeze(0) if unbatched else y


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Place each value at its index in a zero plane: the inverse of max_pool2d's selection."""
    x, unbatched = _pool_input("max_unpool2d", input)
    index = indices.unsqueeze(0) if unbatched else indices
    if tuple(index.shape) != tuple(x.shape):
        raise ValueError(f"max_unpool2d: indices shape {shape_str(indices.shape)} does not match "
                         f"input shape {shape_str(input.shape)}")
    (kh, kw), (sh, sw) = pair(kernel_size), pair(kernel_size if stride is None else stride)
    ph, pw = pair(padding)
    default = ((x.shape[2] - 1) * sh - 2 * ph + kh, (x.shape[3] - 1) * sw - 2 * pw + kw)
    output_hw = default if output_size is None else tuple(output_size)[-2:]
    if index.numel() and (int(index.data.min()) < 0
                          or int(index.data.max()) >= output_hw[0] * output_hw[1]):
        raise ValueError(f"max_unpool2d: indices reach {int(index.data.max())} but the output "
                         f"plane {output_hw} has {output_hw[0] * output_hw[1]} positions")
    y = MaxUnpool2d.apply(x, indices=index.data, output_hw=output_hw)
    return y.squeeze(0) if unbatched else y


def _adaptive_size(op, x, output_size):
    sizes = pair(output_size) if not isinstance(output_size, (tuple, list)) else \
        tuple(x.shape[2 + i] if s is None else int(s) for i, s in enumerate(output_size))
    if len(sizes) != 2 or min(sizes) <= 0:
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return sizes


def adaptive_avg_pool2d(input, output_size):
    """Average over PyTorch's adaptive bins; output_size 1 is global average pooling."""
    x, unbatched = _pool_input("adaptive_avg_pool2d", input)
    size = _adaptive_size("adaptive_avg_pool2d", x, output_size)
    y = x.mean(dim=(2, 3), keepdim=True) if size == (1, 1) else \
        AdaptiveAvgPool2d.apply(x, output_size=size)
    return y.squeeze(0) if unbatched else y


def adaptive_max_pool2d(input, output_size, return_indices=False):
    x, unbatched = _pool_input("adaptive_max_pool2d", input)
    oh, ow = _adaptive_size("adaptive_max_pool2d", x, output_size)
    H, W = x.shape[2:]
    if H % oh == 0 and W % ow == 0:
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


