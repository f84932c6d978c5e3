"""Loss functions, with torch.nn.functional's signatures and reductions."""
import numpy as np

from ..allocation import check_fits
from ..autograd import Function
from ..backend import on_input_device
from ..tensor import Tensor
from ._common import (broadcast_shape, check_same_device, index_range, require_floating,
                      require_tensor, shape_str, unbroadcast, xp)
from .activation import _sigmoid, log_softmax
from .arithmetic import where

REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(op, reduction, allowed=REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{op}: reduction must be one of {allowed}, got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


@on_input_device
def one_hot(tensor, num_classes=-1):
    """int64 tensor with a trailing dimension of size num_classes (max + 1 when -1)."""
    if tensor.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expects an integer tensor of class indices, got dtype "
                        f"{tensor.dtype}")
    data = tensor._data
    lo, hi = index_range(data)
    if num_classes == -1:
        if not data.size:
            raise ValueError("one_hot: cannot infer the number of classes from an empty "
                             "tensor; pass num_classes")
        num_classes = hi + 1
    if data.size and (lo < 0 or hi >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got values in "
                         f"[{lo}, {hi}]")
    check_fits("one_hot", "the output", (*data.shape, num_classes), np.int64, tensor.device)
    return Tensor._make((data[..., None] == xp(data).arange(num_classes)).astype(np.int64))


class NLLLoss(Function):
    @staticmethod
    def forward(ctx, logp, weight, target, ignore_index, reduction):
        """logp (N, C, *) log-probabilities, target (N, *) class indices."""
        m = xp(logp)
        valid = target != ignore_index
        safe = m.where(valid, target, 0)
        picked = m.take_along_axis(logp, safe[:, None], axis=1)[:, 0]  # (N, *)
        w = (weight[safe] if weight is not None else m.ones(safe.shape, logp.dtype)) * valid
        losses = -picked * w
        ctx.save_for_backward(safe, w, valid, picked)
        ctx.shape, ctx.reduction = logp.shape, reduction
        if reduction == "none":
            return losses
        total = losses.sum()
        if reduction == "sum":
            return total
        ctx.denominator = w.sum()
        with np.errstate(invalid="ignore", divide="ignore"):  # no kept sample: NaN, as PyTorch
            ctx.mean = total / ctx.denominator
        return ctx.mean

    @staticmethod
    def backward(ctx, g):
        """dlogp[n, target_n] = −w_target·g (÷ Σ w for the mean), 0 elsewhere;
        dweight[c] = Σ_{n: target_n = c} −logp[n, c]·g (mean: Σ (−logp[n, c] − loss)·g / Σ w).
        Ignored samples get exactly 0, as in PyTorch, also when every sample is ignored and
        the mean is 0/0 = NaN: one such batch must not poison the parameters."""
        safe, w, valid, picked = ctx.saved_arrays
        m = xp(g)
        dlogp = dweight = None
        if ctx.needs_input_grad[0]:
            scale = -w * g  # g broadcasts: a scalar for mean/sum, (N, *) for none
            if ctx.reduction == "mean":
                scale = scale / ctx.denominator
            scale = m.where(valid, scale, 0)
            dlogp = m.zeros(ctx.shape, dtype=g.dtype)
            m.put_along_axis(dlogp, safe[:, None], scale[:, None].astype(g.dtype), axis=1)
        if ctx.needs_input_grad[1]:
            dw = -picked if ctx.reduction != "mean" else (-picked - ctx.mean) / ctx.denominator
            dw = m.broadcast_to(m.where(valid, dw * g, 0), safe.shape)
            dweight = m.bincount(safe.ravel(), weights=dw.ravel(), minlength=ctx.shape[1])
            dweight = dweight.astype(g.dtype)
        return dlogp, dweight


def _class_layout(op, input, target):
    """Check input (N, C, *) / (C,) against class-index targets (N, *) / (); return the
    batched forms."""
    if input.ndim == 1:
        input, target = input.unsqueeze(0), target.reshape(1)
    if input.ndim < 2:
        raise ValueError(f"{op}: input must be (N, C) or (N, C, d1, ...), got shape "
                         f"{shape_str(input.shape)}")
    expected = (input.shape[0],) + input.shape[2:]
    if tuple(target.shape) != expected:
        raise ValueError(f"{op}: target shape {shape_str(target.shape)} does not match input "
                         f"shape {shape_str(input.shape)} (expected target shape "
                         f"{shape_str(expected)})")
    return input, target


class TargetOutOfRangeError(ValueError, IndexError):
    """A class index outside [0, C) that is not ignore_index: a ValueError like every other
    bad argument, and an IndexError like PyTorch's "Target 5 is out of bounds"."""


def _check_labels(op, target, num_classes, ignore_index, input_shape):
    lo, hi = index_range(target._data, ignore=ignore_index)
    if lo < 0 or hi >= num_classes:
        bad = hi if hi >= num_classes else lo
        raise TargetOutOfRangeError(
            f"{op}: target contains class {bad} but input has {num_classes} classes (input "
            f"shape {shape_str(input_shape)}); class indices must be in [0, {num_classes}) or "
            f"equal ignore_index ({ignore_index})")


def _check_weight(op, weight, num_classes):
    if weight is not None and tuple(weight.shape) != (num_classes,):
        raise ValueError(f"{op}: weight must have shape ({num_classes},), got "
                         f"{shape_str(weight.shape)}")


@on_input_device
def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of class indices under log-probabilities `input`."""
    require_tensor("nll_loss", "input", input)
    require_tensor("nll_loss", "target", target)
    check_same_device("nll_loss", input, target, weight)
    _check_reduction("nll_loss", reduction)
    if target.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must hold int64 class indices, got dtype "
                        f"{target.dtype} (shape {shape_str(target.shape)})")
    unbatched = input.ndim == 1
    input, target = _class_layout("nll_loss", input, target)
    _check_weight("nll_loss", weight, input.shape[1])
    _check_labels("nll_loss", target, input.shape[1], ignore_index, input.shape)
    out = NLLLoss.apply(input, weight, ignore_index=ignore_index, reduction=reduction,
                        target=target._data.astype(np.int64, copy=False))
    return out.reshape(()) if unbatched and reduction == "none" else out


@on_input_device
def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of logits `input` (N, C, *) against class indices (N, *) or class
    probabilities (N, C, *): log_softmax over dim 1, then NLL (with optional smoothing)."""
    require_tensor("cross_entropy", "input", input)
    require_tensor("cross_entropy", "target", target)
    check_same_device("cross_entropy", input, target, weight)
    _check_reduction("cross_entropy", reduction)
    require_floating("cross_entropy", "input", input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    if target.dtype.kind == "f" and target.shape == input.shape:
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing)
    if target.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must be int64 class indices of shape (N, *) "
                        f"or float probabilities shaped like the input {shape_str(input.shape)}; "
                        f"got {target.dtype} of shape {shape_str(target.shape)}")
    unbatched = input.ndim == 1
    input, target = _class_layout("cross_entropy", input, target)
    num_classes = input.shape[1]
    _check_weight("cross_entropy", weight, num_classes)
    _check_labels("cross_entropy", target, num_classes, ignore_index, input.shape)
    logp = log_softmax(input, dim=1)
    labels = target._data.astype(np.int64, copy=False)
    loss = NLLLoss.apply(logp, weight, target=labels, ignore_index=ignore_index,
                         reduction=reduction)
    if label_smoothing > 0:
        loss = (1 - label_smoothing) * loss + (label_smoothing / num_classes) * \
            _smoothing_term(logp, labels, weight, ignore_index, reduction)
    return loss.reshape(()) if unbatched and reduction == "none" else loss


def _smoothing_term(logp, labels, weight, ignore_index, reduction):
    """−Σ_c w_c·logp_c per sample, reduced like the NLL term. Ignored samples are set to 0
    (not multiplied by 0), so that they get a zero gradient even when every sample is
    ignored and the mean divides by 0, as in PyTorch."""
    m = xp(logp._data)
    kept = labels != ignore_index
    weighted = logp if weight is None else logp * weight.reshape((1, -1) + (1,) * (logp.ndim - 2))
    per_sample = where(Tensor._make(kept), -weighted.sum(dim=1), 0.0)
    if reduction == "none":
        return per_sample
    if reduction == "sum":
        return per_sample.sum()
    if weight is None:
        return per_sample.sum() / kept.sum(dtype=logp.dtype)
    # Σ_n w[label_n] over the kept samples, as Σ_c w_c·count_c so that weight gets its gradient
    # (0 for the classes no sample has, also when the sum is 0)
    counts = m.bincount(labels[kept].ravel(), minlength=logp.shape[1])
    weighted_counts = weight * Tensor._make(counts.astype(logp.dtype))
    return per_sample.sum() / where(Tensor._make(counts > 0), weighted_counts, 0.0).sum()


def _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing):
    num_classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    axis = 1 if input.ndim > 1 else 0
    _check_weight("cross_entropy", weight, num_classes)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / num_classes
    logp = log_softmax(input, dim=axis)
    if weight is not None:
        shape = [1] * input.ndim
        shape[axis] = num_classes
        logp = logp * weight.reshape(shape)
    per_sample = -(logp * target).sum(dim=axis)
    if reduction == "mean" and input.ndim > 1:
        return per_sample.sum() / (input.numel() // num_classes)
    return _reduce(per_sample, reduction)


def _check_same_shape(op, input, target):
    require_tensor(op, "input", input)
    require_tensor(op, "target", target)
    check_same_device(op, input, target)
    if input.shape != target.shape:
        raise ValueError(f"{op}: input shape {shape_str(input.shape)} and target shape "
                         f"{shape_str(target.shape)} differ")
    require_floating(op, "input", input)
    require_floating(op, "target", target)


def mse_loss(input, target, reduction="mean"):
    _check_same_shape("mse_loss", input, target)
    _check_reduction("mse_loss", reduction)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, reduction="mean"):
    _check_same_shape("l1_loss", input, target)
    _check_reduction("l1_loss", reduction)
    return _reduce((input - target).abs(), reduction)


def _huber(op, input, target, reduction, threshold, scale):
    """Quadratic below `threshold`, linear above, divided by `scale`:
    0.5·d² / scale where |d| < threshold, else threshold·(|d| − 0.5·threshold) / scale."""
    _check_same_shape(op, input, target)
    _check_reduction(op, reduction)
    distance = (input - target).abs()
    if threshold == 0:
        return _reduce(distance, reduction)
    quadratic = 0.5 * distance * distance / scale
    linear = (distance - 0.5 * threshold) * (threshold / scale)
    return _reduce(where(distance < threshold, quadratic, linear), reduction)


def _non_negative(op, name, value):
    if not value >= 0:
        raise ValueError(f"{op}: {name} must be non-negative, got {value}")
    return float(value)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5·d²/β where |d| < β, else |d| − 0.5·β (d = input − target); β = 0 is the L1 loss."""
    beta = _non_negative("smooth_l1_loss", "beta", beta)
    return _huber("smooth_l1_loss", input, target, reduction, beta, beta or 1.0)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5·d² where |d| < δ, else δ·(|d| − 0.5·δ): β·smooth_l1_loss with β = δ."""
    delta = _non_negative("huber_loss", "delta", delta)
    if delta == 0:
        raise ValueError("huber_loss: delta must be positive, got 0.0")
    return _huber("huber_loss", input, target, reduction, delta, 1.0)


# PyTorch clamps binary_cross_entropy's logarithms at LOG_FLOOR, so inputs of 0 and 1 give
# finite losses, and divides its gradient by at least PROBABILITY_FLOOR
LOG_FLOOR = -100.0
PROBABILITY_FLOOR = 1e-12


class BinaryCrossEntropy(Function):
    @staticmethod
    def forward(ctx, x, y):
        m = xp(x)
        with np.errstate(divide="ignore"):
            log_x = m.maximum(m.log(x), LOG_FLOOR)
            log_1mx = m.maximum(m.log1p(-x), LOG_FLOOR)
        ctx.save_for_backward(x, y)
        return -(y * log_x + (1 - y) * log_1mx)

    @staticmethod
    def backward(ctx, g):
        """dx = g·(x − y) / max(x·(1 − x), 1e-12); dy = g·(log(1 − x) − log x)."""
        x, y = ctx.saved_arrays
        m = xp(g)
        dx = dy = None
        if ctx.needs_input_grad[0]:
            dx = g * (x - y) / m.maximum(x * (1 - x), PROBABILITY_FLOOR)
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                dy = g * (m.log1p(-x) - m.log(x))
        return dx, dy


@on_input_device
def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """−w·[y·log x + (1 − y)·log(1 − x)] for probabilities x in [0, 1] (each log clamped at
    −100, as PyTorch); `weight` broadcasts against the input."""
    _check_same_shape("binary_cross_entropy", input, target)
    check_same_device("binary_cross_entropy", input, target, weight)
    _check_reduction("binary_cross_entropy", reduction)
    data = input._data
    if data.size and not bool(((data >= 0) & (data <= 1)).all()):
        raise ValueError(f"binary_cross_entropy: all elements of input must be probabilities "
                         f"in [0, 1], got values in [{float(data.min())}, {float(data.max())}]"
                         f" (apply sigmoid first, or use binary_cross_entropy_with_logits)")
    if weight is not None:
        broadcast_shape("binary_cross_entropy", weight.shape, input.shape)
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


class BCEWithLogits(Function):
    @staticmethod
    def forward(ctx, x, y, pos_weight):
        m = xp(x)
        softplus_neg = m.log1p(m.exp(-m.abs(x))) + m.maximum(-x, 0)  # log(1 + e^(−x)), stable
        coef = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        ctx.save_for_backward(x, y, pos_weight, softplus_neg)
        return (1 - y) * x + coef * softplus_neg

    @staticmethod
    def backward(ctx, g):
        """dx = g·((1 − y) − c·σ(−x)) with c = 1 + (pw − 1)·y;
        dy = g·(−x + (pw − 1)·log(1 + e^(−x))); dpw = g·y·log(1 + e^(−x))."""
        x, y, pos_weight, softplus_neg = ctx.saved_arrays
        coef = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        dx = dy = dpw = None
        if ctx.needs_input_grad[0]:
            dx = unbroadcast(g * ((1 - y) - coef * _sigmoid(-x)), x.shape)
        if ctx.needs_input_grad[1]:
            extra = 0 if pos_weight is None else (pos_weight - 1) * softplus_neg
            dy = unbroadcast(g * (-x + extra), y.shape)
        if pos_weight is not None and ctx.needs_input_grad[2]:
            dpw = unbroadcast(g * y * softplus_neg, pos_weight.shape)
        return dx, dy, dpw


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """−[pw·y·log σ(x) + (1 − y)·log(1 − σ(x))], computed stably from the logits x."""
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    check_same_device("binary_cross_entropy_with_logits", input, weight, pos_weight)
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    if pos_weight is not None:
        broadcast_shape("binary_cross_entropy_with_logits", pos_weight.shape, input.shape)
    loss = BCEWithLogits.apply(input, target, pos_weight)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


class KLDiv(Function):
    @staticmethod
    def forward(ctx, input, target, log_target):
        m = xp(input)
        if log_target:
            out = m.exp(target) * (target - input)
        else:
            safe_log = m.log(m.where(target > 0, target, 1))
            out = m.where(target > 0, target * safe_log, 0) - target * input
        ctx.save_for_backward(input, target)
        ctx.log_target = log_target
        return out

    @staticmethod
    def backward(ctx, g):
        """dinput = −g·p; dtarget = g·(log p + 1 − input) with p the target probability
        (log_target: dtarget = g·eᵗ·(t + 1 − input))."""
        input, target = ctx.saved_arrays
        m = xp(g)
        p = m.exp(target) if ctx.log_target else target
        dinput = -g * p if ctx.needs_input_grad[0] else None
        dtarget = None
        if ctx.needs_input_grad[1]:
            if ctx.log_target:
                dtarget = g * p * (target + 1 - input)
            else:
                safe_log = m.log(m.where(target > 0, target, 1))
                dtarget = m.where(target > 0, g * (safe_log + 1 - input), -g * input)
        return dinput, dtarget


def kl_div(input, target, reduction="mean", log_target=False):
    """KL(target ‖ exp(input)) with `input` log-probabilities; 'batchmean' divides the sum
    by the batch size (the mathematically right mean)."""
    _check_same_shape("kl_div", input, target)
    _check_reduction("kl_div", reduction, REDUCTIONS + ("batchmean",))
    loss = KLDiv.apply(input, target, log_target=log_target)
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)
