"""Reductions: sum, mean, var, std, max/min (values and indices), amax/amin, logsumexp, argmax,
all/any, and vector norms."""
import builtins
import math
from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..backend import on_input_device
from ..dtypes import get_default_dtype
from ..tensor import Tensor
from ._common import (accepts_numpy_names, expand_reduced, normalize_dim, normalize_dims,
                      shape_str, xp)
from .arithmetic import maximum, minimum
from .conversion import astype
from .unary import abs as magnitude

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])

# Rows of at most this many elements that a sum or mean reduces to one value each (the
# trailing axes of a C-contiguous float array on the CPU: global average pooling's H·W) are
# summed by one matrix-vector product with a vector of ones: NumPy's reduction along a short
# contiguous axis pays a setup per row that dominates there. Longer rows keep NumPy's
# pairwise sum, whose rounding error grows more slowly with the length.
ROW_SUM_MAX = 1024


def _row_length(a, axes):
    """The length of the rows that reducing `a` over `axes` sums, where they are the
    trailing axes of a non-empty C-contiguous float32/float64 NumPy array (not all of its
    axes) and at most ROW_SUM_MAX long; else None."""
    k = len(axes)
    if (type(a) is not np.ndarray or a.dtype not in (np.float32, np.float64) or not a.size
            or not a.flags.c_contiguous or not 0 < k < a.ndim
            or sorted(axes) != list(range(a.ndim - k, a.ndim))):
        return None
    length = math.prod(a.shape[a.ndim - k:])
    return length if length <= ROW_SUM_MAX else None


def _row_sums(a, length, axes, keepdims):
    """a summed over its trailing `axes`, rows of `length` (_row_length) at a time."""
    kept = a.shape[:a.ndim - len(axes)]                                # (rows...)
    sums = a.reshape(-1, length) @ np.ones(length, a.dtype)            # (rows,)
    return sums.reshape(kept + (1,) * len(axes) if keepdims else kept)


def _sum(a, axes, keepdims):
    """a.sum over `axes`; bool and integer sums in int64, as PyTorch's (NumPy would keep
    uint8 as uint64)."""
    length = _row_length(a, axes)
    if length is not None:
        return _row_sums(a, length, axes, keepdims)
    return a.sum(axis=axes, keepdims=keepdims, dtype=np.int64 if a.dtype.kind in "biu" else None)


def _mean(a, axes, keepdims):
    """a.mean over `axes`; NaN over no elements, without NumPy's empty-slice warning
    (PyTorch gives none)."""
    length = _row_length(a, axes)
    if length is not None:
        return _row_sums(a, length, axes, keepdims) / a.dtype.type(length)
    if builtins.all(a.shape[i] for i in axes):
        return a.mean(axis=axes, keepdims=keepdims)
    with np.errstate(divide="ignore", invalid="ignore"):
        return a.sum(axis=axes, keepdims=keepdims) / a.dtype.type(0)


class Sum(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return _sum(a, axes, keepdim)

    @staticmethod
    def backward(ctx, g):
        """da = g broadcast back over the summed axes."""
        g = expand_reduced(g, ctx.shape, ctx.axes, ctx.keepdim)
        return xp(g).broadcast_to(g, ctx.shape)


class Mean(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return _mean(a, axes, keepdim)

    @staticmethod
    def backward(ctx, g):
        """da = g / n broadcast back over the n averaged elements."""
        count = int(np.prod([ctx.shape[i] for i in ctx.axes]))
        with np.errstate(divide="ignore", invalid="ignore"):  # n = 0: an empty gradient
            g = expand_reduced(g, ctx.shape, ctx.axes, ctx.keepdim) / count
        return xp(g).broadcast_to(g, ctx.shape)


class Var(Function):
    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        mean = _mean(a, axes, keepdims=True)
        centered = a - mean  # two-pass variance: no E[x²]−E[x]² cancellation
        count = int(np.prod([a.shape[i] for i in axes]))
        divisor = builtins.max(count - correction, 0)  # as PyTorch: x/0 → inf (nan if x = 0)
        ctx.save_for_backward(centered)
        ctx.axes, ctx.keepdim, ctx.divisor = axes, keepdim, divisor
        m = xp(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (m.square(centered).sum(axis=axes, keepdims=keepdim)
                    / a.dtype.type(divisor)).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        """da = g · 2(a − mean) / (n − correction)."""
        (centered,) = ctx.saved_arrays
        g = expand_reduced(g, centered.shape, ctx.axes, ctx.keepdim)
        with np.errstate(invalid="ignore"):  # n ≤ correction: 0·∞ is NaN, as PyTorch
            return g * centered * (2.0 / ctx.divisor if ctx.divisor > 0 else np.inf)


class StdFromVar(Function):
    """std = √var, whose gradient is 0 where std is 0 (PyTorch's std backward), not the
    0·∞ = NaN of a plain square root."""

    @staticmethod
    def forward(ctx, var):
        out = xp(var).sqrt(var)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        """dvar = g / (2·std), 0 where std = 0."""
        (out,) = ctx.saved_arrays
        m = xp(out)
        with np.errstate(divide="ignore", invalid="ignore"):
            return m.where(out == 0, 0, g / (2 * out)).astype(g.dtype, copy=False)


class AMax(Function):
    """Largest value over axes; the gradient is shared evenly among tied maxima. With
    `nan_is_extreme` (PyTorch's max() over everything) a NaN maximum sends the gradient to
    the NaNs; otherwise (amax) no element equals it and the gradient is NaN."""

    @staticmethod
    def forward(ctx, a, axes, keepdim, largest, nan_is_extreme=False):
        out = a.max(axis=axes, keepdims=True) if largest else a.min(axis=axes, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim, ctx.nan_is_extreme = axes, keepdim, nan_is_extreme
        return out if keepdim else out.reshape([s for i, s in enumerate(a.shape)
                                                if i not in axes])

    @staticmethod
    def backward(ctx, g):
        """da = g · 1[a = max] / (number of maxima)."""
        a, out = ctx.saved_arrays
        hit = a == out
        if ctx.nan_is_extreme:
            m = xp(a)
            hit |= m.isnan(a) & m.isnan(out)
        hit = hit.astype(g.dtype)
        hit /= hit.sum(axis=ctx.axes, keepdims=True)
        return expand_reduced(g, a.shape, ctx.axes, ctx.keepdim) * hit


class MaxDim(Function):
    """Largest (or smallest) value along one axis, with its index."""

    @staticmethod
    def forward(ctx, a, axis, keepdim, largest):
        m = xp(a)
        ctx.shape, ctx.axis = a.shape, axis
        a = a.reshape(1) if a.ndim == 0 else a  # a 0-d tensor reduces over its only element
        index = (m.argmax if largest else m.argmin)(a, axis=axis)
        index = m.expand_dims(index, axis)
        values = m.take_along_axis(a, index, axis=axis)
        ctx.save_for_backward(index)
        if len(ctx.shape) == 0:
            values, index = values.reshape(()), index.reshape(())
        elif not keepdim:
            values, index = values.squeeze(axis), index.squeeze(axis)
        index = index.astype(np.int64, copy=False)
        ctx.mark_non_differentiable(index)
        return values, index

    @staticmethod
    def backward(ctx, g, _g_index):
        """da = g placed at the index of the extreme value, 0 elsewhere."""
        (index,) = ctx.saved_arrays
        m = xp(g)
        if len(ctx.shape) == 0:
            return g.copy()
        da = m.zeros(ctx.shape, dtype=g.dtype)
        if g.ndim < len(ctx.shape):
            g = m.expand_dims(g, ctx.axis)
        m.put_along_axis(da, index, g, axis=ctx.axis)
        return da


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        m = xp(a)
        if builtins.any(a.shape[i] == 0 for i in axes):  # an empty sum: log 0 = −inf, as PyTorch
            shift = m.zeros([1 if i in axes else s for i, s in enumerate(a.shape)], a.dtype)
        else:
            shift = a.max(axis=axes, keepdims=True)
            shift = m.where(m.isfinite(shift), shift, 0)
        out = m.log(m.exp(a - shift).sum(axis=axes, keepdims=True)) + shift
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else out.squeeze(axis=axes)

    @staticmethod
    def backward(ctx, g):
        """da = g · softmax(a) over the reduced axes."""
        a, out = ctx.saved_arrays
        return expand_reduced(g, a.shape, ctx.axes, ctx.keepdim) * xp(a).exp(a - out)


def _reduce(function, op, input, dim, keepdim, **params):
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None  # as PyTorch: an empty dim list reduces over every dimension
    axes = normalize_dims(op, dim, input.ndim)
    if input.ndim == 0:
        axes = ()  # as PyTorch: dim 0 or -1 of a 0-d tensor reduces it to itself
    return function.apply(input, axes=axes, keepdim=keepdim, **params)


def _check_nonempty(op, input, dim):
    """max/min/argmax ... have no value over nothing: PyTorch's errors for an empty
    reduction, before NumPy's."""
    if input.numel() == 0 and (dim is None or (isinstance(dim, (tuple, list)) and not dim)
                               or input.ndim == 0):
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape "
                         f"{shape_str(input.shape)} over every dimension; specify dim")
    if dim is None or input.ndim == 0:
        return
    for d in dim if isinstance(dim, (tuple, list)) else (dim,):
        if input.shape[normalize_dim(op, d, input.ndim)] == 0:
            raise ValueError(f"{op}: cannot reduce over dim={d}, which has size 0 (input "
                             f"shape {shape_str(input.shape)})")


def _cast(input, dtype):
    """`input` in `dtype` before reducing (the `dtype` argument of sum and mean)."""
    return input if dtype is None else astype(input, dtype)


@accepts_numpy_names
def sum(input, dim=None, keepdim=False, dtype=None):
    return _reduce(Sum, "sum", _cast(input, dtype), dim, keepdim)


@accepts_numpy_names
def mean(input, dim=None, keepdim=False, dtype=None):
    input = _cast(input, dtype)
    _require_floating("mean", input)
    return _reduce(Mean, "mean", input, dim, keepdim)


def _require_floating(op, input):
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating tensor, got dtype {input.dtype}")


def _var(op, input, dim, correction, keepdim, unbiased):
    _require_floating(op, input)
    if isinstance(dim, bool):  # PyTorch's var(input, unbiased): a bool is never a dim
        dim, unbiased = None, dim
    if unbiased is not None:
        correction = int(unbiased)
    elif correction is None:
        correction = 1
    return _reduce(Var, op, input, dim, keepdim, correction=correction)


@accepts_numpy_names
def var(input, dim=None, correction=1, keepdim=False, unbiased=None):
    """Variance over `dim`, dividing by n − correction (1, or None: unbiased, as PyTorch's
    default). PyTorch's older forms work too: `var(x, unbiased)` with a bool, and
    `var(x, dim, unbiased, keepdim)`, where the bool lands on `correction` as 0 or 1."""
    return _var("var", input, dim, correction, keepdim, unbiased)


@accepts_numpy_names
def std(input, dim=None, correction=1, keepdim=False, unbiased=None):
    """Standard deviation: √var with var's arguments; its gradient is 0 where it is 0."""
    return StdFromVar.apply(_var("std", input, dim, correction, keepdim, unbiased))


def _extreme(op, input, dim, keepdim, largest):
    if isinstance(dim, Tensor):
        return _binary_extreme(op, input, dim)
    _check_nonempty(op, input, dim)
    if dim is None:
        return AMax.apply(input, axes=tuple(range(input.ndim)), keepdim=False, largest=largest,
                          nan_is_extreme=True)
    axis = normalize_dim(op, dim, input.ndim)
    return ValuesIndices(*MaxDim.apply(input, axis=axis, keepdim=keepdim, largest=largest))


def _binary_extreme(op, input, other):
    return maximum(input, other) if op == "max" else minimum(input, other)


@accepts_numpy_names
def max(input, dim=None, keepdim=False):
    """max(x) → the largest value; max(x, dim) → (values, indices); max(x, other) → maximum."""
    return _extreme("max", input, dim, keepdim, largest=True)


@accepts_numpy_names
def min(input, dim=None, keepdim=False):
    """min(x) → the smallest value; min(x, dim) → (values, indices); min(x, other) → minimum."""
    return _extreme("min", input, dim, keepdim, largest=False)


@accepts_numpy_names
def amax(input, dim=(), keepdim=False):
    """Largest values over `dim` (all dims when empty); ties share the gradient evenly."""
    _check_nonempty("amax", input, dim)
    return _reduce(AMax, "amax", input, dim, keepdim, largest=True)


@accepts_numpy_names
def amin(input, dim=(), keepdim=False):
    _check_nonempty("amin", input, dim)
    return _reduce(AMax, "amin", input, dim, keepdim, largest=False)


@accepts_numpy_names
def logsumexp(input, dim, keepdim=False):
    """log Σ exp over `dim` (−inf over an empty dim); integers and bools reduce as the
    default float dtype, as PyTorch."""
    if input.dtype.kind != "f":
        input = astype(input, get_default_dtype())
    return _reduce(LogSumExp, "logsumexp", input, dim, keepdim)


class ArgExtreme(Function):
    """The index (int64) of the largest (or smallest) value along `axis`, or over the
    flattened array when axis is None; an integer result has no gradient, so backward is
    never called."""

    @staticmethod
    def forward(ctx, a, axis, keepdim, largest):
        m = xp(a)
        find = m.argmax if largest else m.argmin
        if axis is None:
            index = find(a.reshape(-1))
            out = index.reshape((1,) * a.ndim) if keepdim else index
        else:
            data = a.reshape(1) if a.ndim == 0 else a
            out = find(data, axis=axis, keepdims=keepdim)
            out = out.reshape(()) if a.ndim == 0 else out
        return m.asarray(out, dtype=np.int64)


def _arg_extreme(op, input, dim, keepdim, largest):
    if input.dtype.kind == "b":
        raise TypeError(f"{op}: does not support bool input")
    _check_nonempty(op, input, dim)
    axis = None if dim is None else normalize_dim(op, dim, input.ndim)
    return ArgExtreme.apply(input, axis=axis, keepdim=keepdim, largest=largest)


@accepts_numpy_names
@on_input_device
def argmax(input, dim=None, keepdim=False):
    """Index of the largest value (over the flattened tensor when dim is None); no gradient."""
    return _arg_extreme("argmax", input, dim, keepdim, largest=True)


@accepts_numpy_names
@on_input_device
def argmin(input, dim=None, keepdim=False):
    return _arg_extreme("argmin", input, dim, keepdim, largest=False)


def _logical(op, input, dim, keepdim):
    """all / any over `dim` (every dim when None; an int or a tuple), as a bool tensor."""
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    axes = () if input.ndim == 0 else normalize_dims(op, dim, input.ndim)
    data = input._data
    reduce = data.all if op == "all" else data.any
    out = reduce(axis=axes, keepdims=keepdim) if axes else (data != 0)
    return Tensor._make(xp(data).asarray(out, dtype=np.bool_))


@accepts_numpy_names
@on_input_device
def all(input, dim=None, keepdim=False):
    """True where every element over `dim` (everything when None) is non-zero; no gradient."""
    return _logical("all", input, dim, keepdim)


@accepts_numpy_names
@on_input_device
def any(input, dim=None, keepdim=False):
    """True where some element over `dim` (everything when None) is non-zero; no gradient."""
    return _logical("any", input, dim, keepdim)


class VectorNorm(Function):
    """‖a‖_p = (Σ |a|^p)^(1/p) over axes, for a finite p > 0."""

    @staticmethod
    def forward(ctx, a, p, axes, keepdim):
        m = xp(a)
        magnitude = m.abs(a)
        if p == 1:
            out = magnitude.sum(axis=axes, keepdims=True)
        elif p == 2:
            out = m.sqrt(m.square(a).sum(axis=axes, keepdims=True))
        else:
            out = (magnitude ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        ctx.save_for_backward(a, out)
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        return out if keepdim else out.reshape([s for i, s in enumerate(a.shape)
                                                if i not in axes])

    @staticmethod
    def backward(ctx, g):
        """da = g·sign(a)·|a|^(p−1) / ‖a‖^(p−1) (p = 1: g·sign(a)); 0 where ‖a‖ = 0, as
        PyTorch."""
        a, out = ctx.saved_arrays
        m = xp(a)
        g = expand_reduced(g, a.shape, ctx.axes, ctx.keepdim)
        if ctx.p == 1:
            return g * m.sign(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.p == 2:
                scale = a / out
            else:
                scale = m.sign(a) * m.abs(a) ** (ctx.p - 1) / out ** (ctx.p - 1)
        return g * m.where(out == 0, 0, scale).astype(a.dtype, copy=False)


@accepts_numpy_names
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm over `dim` (everything when None): p = 'fro' or 2 (Euclidean), any finite
    p > 0, inf (largest |x|), -inf (smallest |x|) or 0 (the count of non-zeros, no
    gradient). The matrix norm 'nuc' is not implemented."""
    input = _cast(input, dtype)
    _require_floating("norm", input)
    if p == "fro":
        p = 2
    if isinstance(p, str) or isinstance(p, bool) or not isinstance(p, (int, float)):
        raise ValueError(f"norm: p must be 'fro' or a number, got {p!r} (minicnn implements "
                         f"vector norms only)")
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    axes = () if input.ndim == 0 else normalize_dims("norm", dim, input.ndim)
    if math.isinf(p):
        return _reduce(AMax, "norm", magnitude(input), dim, keepdim, largest=p > 0)
    if p == 0:
        count = (input._data != 0).sum(axis=axes, keepdims=keepdim)
        return Tensor._make(xp(input._data).asarray(count, dtype=input.dtype))
    if p < 0:
        raise ValueError(f"norm: p must be positive, inf, -inf or 0, got {p}")
    return VectorNorm.apply(input, p=float(p), axes=axes, keepdim=keepdim)
