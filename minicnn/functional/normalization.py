"""Normalization: batch_norm, layer_norm, group_norm and local_response_norm.

Every variance is two-pass (mean first, then the mean of squared deviations):
E[x²] − E[x]² cancels catastrophically in float32 when |mean| ≫ std.
"""
import math

from .. import kernels
from ..autograd import Function
from ..backend import on_input_device
from . import _validate as validate
from ._common import check_same_device, require_floating, require_tensor, shape_str, xp
from ._float16 import computed_in_float32


def _channel_shape(ndim):
    """(1, C, 1, ...) broadcasting a per-channel (C,) array against (N, C, *)."""
    return (1, -1) + (1,) * (ndim - 2)


def _non_channel_axes(ndim):
    return (0,) + tuple(range(2, ndim))


def _as_4d(x):
    """(N, C), (N, C, H, W) unchanged; (N, C, *) of any other rank as (N, C, prod(*), 1)."""
    if x.ndim in (2, 4):
        return x
    return x.reshape(x.shape[0], x.shape[1], -1, 1)


def _scale_shift(xhat, weight, bias, shape=None):
    """xhat · weight + bias (each optional; reshaped to `shape` when given), always a new
    array: xhat itself is saved for the backward pass."""
    out = xhat
    if weight is not None:
        out = out * (weight if shape is None else weight.reshape(shape))
    if bias is not None:
        out = out + (bias if shape is None else bias.reshape(shape))
    if out is xhat:
        out = xhat.copy()
    return out


def _standardize(m, x, axis, eps):
    """(x̂, 1/σ): x centred and scaled over `axis` with the two-pass biased variance."""
    centred = x - x.mean(axis=axis, keepdims=True)
    var = (centred * centred).mean(axis=axis, keepdims=True)
    rstd = 1 / m.sqrt(var + eps)
    return centred * rstd, rstd


def _standardize_backward(gw, xhat, rstd, axis):
    """dx of x̂ = (x − mean)/σ over `axis`, given ĝ = dL/dx̂:
    (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))."""
    return rstd * (gw - gw.mean(axis=axis, keepdims=True)
                   - xhat * (gw * xhat).mean(axis=axis, keepdims=True))


def _affine_grads(g, xhat, axes, need_w, need_b):
    """(dw, db) = (Σ g·x̂, Σ g) over `axes`, each None when not needed."""
    dw = (g * xhat).sum(axis=axes) if need_w else None
    db = g.sum(axis=axes) if need_b else None
    return dw, db


class BatchNorm(Function):
    """Training-mode batch normalization with the batch's own statistics, through the fused
    batch_norm_forward / batch_norm_backward kernels on x viewed as (N, C, L).

    Outputs (y, mean, var): mean and the biased var per channel feed the running-stat
    update and are not differentiable. The backward keeps x, not x̂: no extra buffer.
    """

    fresh_input_grads = True

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        m = xp(x)
        C = x.shape[1]
        x3 = m.ascontiguousarray(x).reshape(x.shape[0], C, -1)          # (N, C, L)
        weight = m.ones(C, x.dtype) if weight is None else weight
        bias = m.zeros(C, x.dtype) if bias is None else bias
        y, mean, var = kernels.get("batch_norm_forward", x3)(x3, weight, bias, eps)
        ctx.save_for_backward(x3, mean, var, weight)
        ctx.eps = eps
        ctx.mark_non_differentiable(mean, var)
        return y.reshape(x.shape), mean, var

    @staticmethod
    def backward(ctx, g, _g_mean, _g_var):
        """dx = (w/σ)·(g − mean(g) − x̂·mean(g·x̂)), dw = Σ g·x̂, db = Σ g
        (means and sums over every axis but the channel axis)."""
        x3, mean, var, weight = ctx.saved_arrays
        g3 = xp(g).ascontiguousarray(g).reshape(x3.shape)
        dx, dw, db = kernels.get("batch_norm_backward", g3)(g3, x3, mean, var, weight, ctx.eps)
        need_x, need_w, need_b = ctx.needs_input_grad
        return (dx.reshape(g.shape) if need_x else None, dw if need_w else None,
                db if need_b else None)


class BatchNormEval(Function):
    """Evaluation-mode batch normalization: a per-channel affine map from the running stats."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, eps):
        m = xp(x)
        invstd = (1 / m.sqrt(running_var + eps)).astype(x.dtype)
        mean = running_mean.astype(x.dtype)
        scale = invstd if weight is None else invstd * weight
        shift = -mean * scale if bias is None else bias - mean * scale
        x3 = m.ascontiguousarray(x).reshape(*x.shape[:2], math.prod(x.shape[2:]))  # (N, C, L)
        out = kernels.get("channel_affine", x3)(x3, scale, shift)       # x·s + (b − μ·s)
        ctx.save_for_backward(x, mean, invstd, scale)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        """dx = g·w/σ, dw = Σ g·(x − μ)/σ, db = Σ g (μ, σ² the running stats)."""
        x, mean, invstd, scale = ctx.saved_arrays
        axes = _non_channel_axes(g.ndim)
        shape = _channel_shape(g.ndim)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = g * scale.reshape(shape) if need_x else None
        dw = ((g * (x - mean.reshape(shape))).sum(axis=axes) * invstd) if need_w else None
        db = g.sum(axis=axes) if need_b else None
        return dx, dw, db, None, None


def _empty_result(input, weight, bias, shape):
    """The output for an input without elements: empty, as PyTorch's, and still a function
    of weight and bias (reshaped to `shape`), so that they get their zero gradients."""
    out = input.clone()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _check_channel_tensor(op, arg, t, input, n, what="channels"):
    """`t` is None or a tensor of shape (n,) on input's device (and of its dtype for params)."""
    if t is None:
        return
    require_tensor(op, arg, t)
    if tuple(t.shape) != (n,):
        raise ValueError(f"{op}: {arg} must have shape ({n},), one value per {what[:-1]}, "
                         f"for input of shape {shape_str(input.shape)} ({n} {what}), got shape "
                         f"{shape_str(t.shape)}")
    check_same_device(op, input, t)


def _check_affine(op, input, weight, bias, n, what="channels"):
    for arg, t in (("weight", weight), ("bias", bias)):
        _check_channel_tensor(op, arg, t, input, n, what)
        if t is not None and t.dtype != input.dtype:
            raise TypeError(f"{op}: {arg} dtype {t.dtype} does not match input dtype "
                            f"{input.dtype}")


@on_input_device
@computed_in_float32("input", "weight", "bias")
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalize each channel of (N, C), (N, C, L), (N, C, H, W) or (N, C, D, H, W) input.

    training=True: batch statistics (biased variance), and running_mean/running_var (when
    given) updated in place as r ← (1 − momentum)·r + momentum·s, with the unbiased variance
    n/(n − 1)·var, as PyTorch. training=False: the running statistics.
    """
    op = "batch_norm"
    require_tensor(op, "input", input)
    require_floating(op, "input", input)
    if not 2 <= input.ndim <= 5:
        raise ValueError(f"{op}: expected input of shape (N, C), (N, C, L), (N, C, H, W) or "
                         f"(N, C, D, H, W), got {input.ndim}-D input of shape "
                         f"{shape_str(input.shape)}")
    C = input.shape[1]
    _check_affine(op, input, weight, bias, C)
    for arg, t in (("running_mean", running_mean), ("running_var", running_var)):
        _check_channel_tensor(op, arg, t, input, C)
        if t is not None:
            require_floating(op, arg, t)
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: running_mean and running_var must either both be None or "
                         f"neither be None")
    eps = validate.eps(op, eps)
    if training:
        if momentum is None:
            raise ValueError(f"{op}: momentum=None (a cumulative moving average) needs the "
                             f"number of batches seen, which the functional form does not "
                             f"have; pass momentum=1/num_batches_tracked instead (as "
                             f"nn.BatchNorm does)")
        if input.numel() // max(C, 1) == 1:
            raise ValueError(f"{op}: Expected more than 1 value per channel when training, "
                             f"got input of shape {shape_str(input.shape)}")
        if not eps > 0:
            raise ValueError(f"{op}: eps must be positive during training, but got {eps}")
        m = validate.momentum(op, momentum)
        if input.numel() == 0:  # as PyTorch: an empty result, running stats unchanged
            return _empty_result(input, weight, bias, _channel_shape(input.ndim))
        out, mean, var = BatchNorm.apply(input, weight, bias, eps=float(eps))
        if running_mean is not None:
            n = input.numel() // C
            rm, rv = running_mean._data, running_var._data
            rm[...] = (1 - m) * rm + m * mean._data.astype(rm.dtype)
            rv[...] = (1 - m) * rv + m * (var._data.astype(rv.dtype) * (n / (n - 1)))
        return out
    if running_mean is None:
        raise ValueError(f"{op}: running_mean and running_var must be given when "
                         f"training=False (evaluation uses the running statistics)")
    return BatchNormEval.apply(input, weight, bias, running_mean, running_var, eps=eps)


def _rows(x, k):
    """x as (rows, k) for k the size of its trailing normalized axes, contiguous."""
    return xp(x).ascontiguousarray(x).reshape(-1, k)


class LayerNorm(Function):
    """LayerNorm through the fused layer_norm_forward / layer_norm_backward kernels on x
    viewed as (rows, K), K the size of the normalized trailing axes. The backward keeps x and
    each row's mean and 1/σ, not x̂: no extra buffer."""

    @staticmethod
    def forward(ctx, x, weight, bias, n_axes, eps):
        k = math.prod(x.shape[x.ndim - n_axes:])
        rows = _rows(x, k)                                              # (R, K)
        flat = [None if p is None else p.reshape(k) for p in (weight, bias)]
        y, mean, rstd = kernels.get("layer_norm_forward", rows)(rows, *flat, eps)
        ctx.save_for_backward(rows, mean, rstd, flat[0])
        ctx.param_shape = x.shape[x.ndim - n_axes:]
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        """dx = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·w over the normalized axes;
        dw = Σ g·x̂, db = Σ g over the leading axes."""
        rows, mean, rstd, weight = ctx.saved_arrays
        dx, dw, db = kernels.get("layer_norm_backward", rows)(
            _rows(g, rows.shape[1]), rows, mean, rstd, weight)
        _, need_w, need_b = ctx.needs_input_grad
        shape = ctx.param_shape
        return (dx.reshape(g.shape), dw.reshape(shape) if need_w else None,
                db.reshape(shape) if need_b else None)


@computed_in_float32("input", "weight", "bias")
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the trailing dimensions `normalized_shape` (an int or a tuple), then
    scale by weight and shift by bias, both of shape normalized_shape."""
    op = "layer_norm"
    require_tensor(op, "input", input)
    require_floating(op, "input", input)
    shape = validate.sizes(op, "normalized_shape", normalized_shape)
    k = len(shape)
    if k == 0:
        raise ValueError(f"{op}: normalized_shape must have at least one dimension, got ()")
    if k > input.ndim or tuple(input.shape[input.ndim - k:]) != shape:
        raise ValueError(f"{op}: normalized_shape {shape_str(shape)} does not match the "
                         f"trailing dimensions of input of shape {shape_str(input.shape)} "
                         f"(expected input.shape[-{k}:] == {shape_str(shape)})")
    for arg, t in (("weight", weight), ("bias", bias)):
        if t is None:
            continue
        require_tensor(op, arg, t)
        if tuple(t.shape) != shape:
            raise ValueError(f"{op}: {arg} must have shape normalized_shape = "
                             f"{shape_str(shape)}, got shape {shape_str(t.shape)}")
        if t.dtype != input.dtype:
            raise TypeError(f"{op}: {arg} dtype {t.dtype} does not match input dtype "
                            f"{input.dtype}")
    eps = validate.eps(op, eps)
    if input.numel() == 0:
        return _empty_result(input, weight, bias, shape)
    return LayerNorm.apply(input, weight, bias, n_axes=k, eps=eps)


class GroupNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, num_groups, eps):
        m = xp(x)
        shape = _channel_shape(x.ndim)
        xg = x.reshape(x.shape[0], num_groups, -1)                    # (N, G, C/G · spatial)
        xhat, rstd = _standardize(m, xg, 2, eps)
        xhat = xhat.reshape(x.shape)
        out = _scale_shift(xhat, weight, bias, shape)
        ctx.save_for_backward(xhat, rstd, weight)
        ctx.num_groups = num_groups
        return out

    @staticmethod
    def backward(ctx, g):
        """dx = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·w, means within each (sample,
        group); dw = Σ g·x̂, db = Σ g over every axis but the channel axis."""
        xhat, rstd, weight = ctx.saved_arrays
        axes = _non_channel_axes(g.ndim)
        need_x, need_w, need_b = ctx.needs_input_grad
        dx = None
        if need_x:
            gw = g if weight is None else g * weight.reshape(_channel_shape(g.ndim))
            gg = gw.reshape(g.shape[0], ctx.num_groups, -1)
            dx = _standardize_backward(gg, xhat.reshape(gg.shape), rstd, 2).reshape(g.shape)
        return (dx, *_affine_grads(g, xhat, axes, need_w, need_b))


@computed_in_float32("input", "weight", "bias")
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize (N, C, *) input over each group of C/num_groups channels (and all spatial
    positions) of each sample; weight and bias are per channel, shape (C,)."""
    op = "group_norm"
    require_tensor(op, "input", input)
    require_floating(op, "input", input)
    if input.ndim < 2:
        raise ValueError(f"{op}: expected input of shape (N, C, *) with at least 2 "
                         f"dimensions, got shape {shape_str(input.shape)}")
    C = input.shape[1]
    num_groups = validate.integer(op, "num_groups", num_groups)
    if num_groups <= 0 or C % num_groups:
        raise ValueError(f"{op}: num_groups={num_groups!r} must be a positive int dividing the "
                         f"number of channels C={C} (input shape {shape_str(input.shape)})")
    _check_affine(op, input, weight, bias, C)
    eps = validate.eps(op, eps)
    if input.numel() == 0:
        return _empty_result(input, weight, bias, _channel_shape(input.ndim))
    return GroupNorm.apply(input, weight, bias, num_groups=num_groups, eps=eps)


class LocalResponseNorm(Function):
    """Local response normalization across channels, through the lrn / lrn_backward kernels."""

    fresh_input_grads = True

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        m = xp(x)
        x4 = m.ascontiguousarray(_as_4d(x))
        y, scale = kernels.get("lrn", x4)(x4, size, alpha, beta, k)
        ctx.save_for_backward(x4, y, scale)
        ctx.params = size, alpha, beta, k
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        """dx = g·s^(−β) − (2αβ/size)·x·Σ_{c' whose window holds c} g·y/s, with
        s = k + α/size·Σ_window x² (lrn_backward kernel)."""
        x4, y, scale = ctx.saved_arrays
        g4 = xp(g).ascontiguousarray(g.reshape(x4.shape))
        dx = kernels.get("lrn_backward", g4)(x4, y, scale, g4, *ctx.params)
        return dx.reshape(g.shape)


@computed_in_float32("input")
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """y[c] = x[c] / (k + alpha/size · Σ x²[c']) ^ beta, the sum over the channels
    c − size//2 .. c + (size−1)//2 (zero beyond the ends); PyTorch's convention."""
    op = "local_response_norm"
    require_tensor(op, "input", input)
    require_floating(op, "input", input)
    if input.ndim < 3:
        raise ValueError(f"{op}: expected 3-D or higher input (N, C, *), got {input.ndim}-D "
                         f"input of shape {shape_str(input.shape)}")
    size = validate.integer(op, "size", size, 1)
    alpha, beta, k = (validate.real(op, name, v) for name, v in
                      (("alpha", alpha), ("beta", beta), ("k", k)))
    if input.numel() == 0:
        return input
    return LocalResponseNorm.apply(input, size=size, alpha=alpha, beta=beta, k=k)

