"""Resampling ops: interpolate (nearest, bilinear) and channel dropout (dropout2d).

interpolate is separable: along each spatial axis, output position i reads one input
position (nearest) or two with weights λ0 + λ1 = 1 (bilinear). Those index and weight
arrays ("taps") are built once on the host, in the precision PyTorch uses for source
coordinates, so the sampled positions match PyTorch's bit for bit. The forward pass gathers
along W then H; the backward pass scatter-adds along H then W with the same taps (the
transposed interpolation matrix) as a few full gathers, one value per input slot in each,
so it needs no atomics and sums in a fixed order (deterministic on the GPU too).
"""
import math

import numpy as np

from .. import backend
from ..allocation import check_fits
from ..autograd import Function
from . import _validate as validate
from ._common import require_floating, require_tensor, shape_str, xp
from .dropout import Dropout, dropout_mask


def _coordinate_dtype(dtype):
    """PyTorch's opmath type: source coordinates in float64 for float64 data, else float32."""
    return np.float64 if dtype == np.float64 else np.float32


def _nearest_index(in_size, out_size, scale):
    """PyTorch's legacy 'nearest': src = min(floor(dst · s), in − 1) in float32, s = 1/scale
    when a scale factor was given, else in/out; out = in copies, out = 2·in halves."""
    dst = np.arange(out_size)
    if out_size == in_size:
        return dst
    if out_size == 2 * in_size:
        return dst >> 1
    s = np.float32(1.0 / scale) if scale else np.float32(in_size) / np.float32(out_size)
    src = np.floor(dst.astype(np.float32) * s).astype(np.int64)
    return np.minimum(src, in_size - 1)


def _linear_taps(in_size, out_size, scale, align_corners, T):
    """PyTorch's linear source index and weights: [(i0, λ0), (i1, λ1)], coordinates in T.

    align_corners: src = dst · (in − 1)/(out − 1); else src = max(s·(dst + ½) − ½, 0) with
    s = 1/scale (scale factor given) or in/out. i0 = floor(src), i1 = min(i0 + 1, in − 1),
    λ1 = src − i0, λ0 = 1 − λ1; out = in copies.
    """
    dst = np.arange(out_size)
    if out_size == in_size:
        return [(dst, None)]
    d = dst.astype(T)
    if align_corners:
        ratio = T(in_size - 1) / T(out_size - 1) if out_size > 1 else T(0)
        src = ratio * d
    else:
        ratio = T(1.0 / scale) if scale else T(in_size) / T(out_size)
        src = np.maximum(ratio * (d + T(0.5)) - T(0.5), T(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    lam1 = np.clip(src - i0.astype(T), T(0), T(1))
    i1 = i0 + (i0 < in_size - 1)
    return [(i0, T(1) - lam1), (i1, lam1)]


def _scatter_rounds(index, size):
    """out[index[j]] += v[j] for every j, as full gathers: round r gives each of the `size`
    slots its r-th value, or the zero appended to v (position len(index)) when it has fewer;
    then out = Σ_r v_ext[sources_r]. No slot is written twice in a round, so no atomics and a
    fixed order; the rounds are as many as the most values one slot receives (≈ the
    up-sampling factor · taps)."""
    order = np.argsort(index, kind="stable")
    counts = np.bincount(index, minlength=size)
    start = np.cumsum(counts) - counts
    zero = len(index)
    return [np.where(counts > r, order[np.minimum(start + r, zero - 1)], zero)
            for r in range(int(counts.max(initial=0)))]


class _AxisPlan:
    """How one spatial axis is resampled, on the input's device: taps [(index, weight or
    None)] into `size` input positions, and the scatter rounds of all taps together."""

    def __init__(self, taps, size, dtype, device):
        put = lambda a: backend.to_device(a, device)   # noqa: E731
        self.identity = len(taps) == 1 and taps[0][1] is None and \
            np.array_equal(taps[0][0], np.arange(size))
        self.taps = [(put(index), None if w is None else put(w.astype(dtype)))
                     for index, w in taps]
        self.rounds = [put(r) for r in _scatter_rounds(np.concatenate([i for i, _ in taps]),
                                                       size)]


def _along(axis, start, stop):
    return (slice(None),) * axis + (slice(start, stop),)


def _weighted(w, axis, ndim):
    return w.reshape((-1,) + (1,) * (ndim - 1 - axis))


def _gather_axis(x, plan, axis):
    """out[..., i, ...] = Σ_taps λ[i]·x[..., index[i], ...] along `axis`."""
    if plan.identity:
        return x
    m = xp(x)
    out = None
    for index, weight in plan.taps:
        t = m.take(x, index, axis=axis)
        if weight is not None:
            t *= _weighted(weight, axis, x.ndim)
        out = t if out is None else m.add(out, t, out=out)
    return out


def _scatter_axis(g, plan, axis):
    """The transpose of _gather_axis: dx[..., index[i], ...] += λ[i]·g[..., i, ...] for every
    tap, i.e. λ·g of all taps side by side (and one zero) summed into slots in rounds."""
    if plan.identity:
        return g
    m = xp(g)
    n = g.shape[axis]
    shape = list(g.shape)
    shape[axis] = len(plan.taps) * n + 1
    values = m.empty(shape, dtype=g.dtype)
    for k, (_, weight) in enumerate(plan.taps):
        part = values[_along(axis, k * n, (k + 1) * n)]
        if weight is None:
            part[...] = g
        else:
            m.multiply(g, _weighted(weight, axis, g.ndim), out=part)
    values[_along(axis, -1, None)] = 0
    out = None
    for sources in plan.rounds:
        t = m.take(values, sources, axis=axis)
        out = t if out is None else m.add(out, t, out=out)
    return out


class Interpolate2d(Function):
    @staticmethod
    def forward(ctx, x, plan_h, plan_w):
        ctx.plans = plan_h, plan_w
        out = _gather_axis(_gather_axis(x, plan_w, 3), plan_h, 2)
        return out.copy() if out is x else out

    @staticmethod
    def backward(ctx, g):
        """dx = Ahᵀ · g · Aw (A the sparse interpolation matrices): λ·g scatter-added to the
        taps' source rows, then columns."""
        plan_h, plan_w = ctx.plans
        return _scatter_axis(_scatter_axis(g, plan_h, 2), plan_w, 3)


_MODES = ("nearest", "bilinear")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize (N, C, H, W) input to `size` or by `scale_factor` (exactly one of them), as
    torch.nn.functional.interpolate: mode 'nearest' (PyTorch's legacy nearest, src =
    floor(dst · in/out)) or 'bilinear' (align_corners False by default).

    With scale_factor the output size is floor(in · scale_factor) and, unless
    recompute_scale_factor is True, source coordinates use 1/scale_factor rather than in/out.
    """
    op = "interpolate"
    require_tensor(op, "input", input)
    require_floating(op, "input", input)
    if mode not in _MODES:
        raise ValueError(f"{op}: unsupported mode {mode!r}; expected one of "
                         + ", ".join(repr(m) for m in _MODES))
    if mode == "nearest" and align_corners is not None:
        raise ValueError(f"{op}: align_corners option can only be set with the interpolating "
                         f"mode 'bilinear', got mode='nearest' and align_corners={align_corners}")
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not supported")
    if input.ndim != 4:
        raise ValueError(f"{op}: expected 4-D input (N, C, H, W), got {input.ndim}-D input of "
                         f"shape {shape_str(input.shape)}")
    if size is not None and scale_factor is not None:
        raise ValueError(f"{op}: only one of size or scale_factor should be defined, got "
                         f"size={size!r} and scale_factor={scale_factor!r}")
    if size is None and scale_factor is None:
        raise ValueError(f"{op}: either size or scale_factor should be defined")
    in_hw = tuple(int(s) for s in input.shape[2:])
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{op}: recompute_scale_factor is not meaningful with an explicit "
                             f"size")
        out_hw = validate.int_pair(op, "size", size, 1, lengths=(2,))
        scales = (None, None)
    else:
        factors = validate.real_pair(op, "scale_factor", scale_factor, positive=True,
                                     finite=True)
        out_hw = tuple(math.floor(float(n) * f) for n, f in zip(in_hw, factors))
        scales = (None, None) if recompute_scale_factor else factors
    if min(in_hw) <= 0 or min(out_hw) <= 0:
        raise ValueError(f"{op}: input and output sizes should be greater than 0, but got "
                         f"input (H: {in_hw[0]}, W: {in_hw[1]}) and output (H: {out_hw[0]}, "
                         f"W: {out_hw[1]}) (input shape {shape_str(input.shape)})")
    check_fits(op, "the output", (*input.shape[:2], *out_hw), input.dtype, input.device)
    T = _coordinate_dtype(input.dtype)
    plans = []
    for n, o, s in zip(in_hw, out_hw, scales):
        if mode == "nearest":
            taps = [(_nearest_index(n, o, s), None)]
        else:
            taps = _linear_taps(n, o, s, bool(align_corners), T)
        plans.append(_AxisPlan(taps, n, input.dtype, input.device))
    return Interpolate2d.apply(input, plan_h=plans[0], plan_w=plans[1])


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input, each with probability p, from
    minicnn's generator; scale the kept ones by 1/(1 − p)."""
    require_tensor("dropout2d", "input", input)
    p = validate.probability("dropout2d", "p", p)
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected 4-D input (N, C, H, W) or 3-D input (C, H, W), "
                         f"got {input.ndim}-D input of shape {shape_str(input.shape)}")
    if not training or p == 0:
        return input
    if p == 1 and not inplace:
        return input * 0
    mask_shape = tuple(input.shape[:-2]) + (1, 1)
    return Dropout.apply(input, mask=dropout_mask(input, p, mask_shape), inplace=bool(inplace))
