"""Elementwise math: exp, log, log1p, sqrt, rsqrt, sin, cos, sinh, cosh, abs, clamp."""
import numpy as np

from ..autograd import Function
from ..dtypes import get_default_dtype, result_type, scalar_dtype
from ..tensor import Tensor
from ._common import broadcast_shape, require_tensor, unbroadcast, xp
from .conversion import astype


def _floating(op, input):
    """Integer and bool tensors go through exp/log/sqrt/rsqrt as the default float dtype
    (as PyTorch), not NumPy's float64."""
    require_tensor(op, "input", input)
    if input.dtype.kind == "f":
        return input
    return astype(input, get_default_dtype())


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = xp(a).exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        """da = g·eᵃ."""
        (out,) = ctx.saved_arrays
        return g * out


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp(a).log(a)

    @staticmethod
    def backward(ctx, g):
        """da = g / a."""
        (a,) = ctx.saved_arrays
        return g / a


class Log1p(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp(a).log1p(a)

    @staticmethod
    def backward(ctx, g):
        """da = g / (1 + a)."""
        (a,) = ctx.saved_arrays
        return g / (1 + a)


class Sin(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp(a).sin(a)

    @staticmethod
    def backward(ctx, g):
        """da = g·cos a."""
        (a,) = ctx.saved_arrays
        return g * xp(a).cos(a)


class Cos(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp(a).cos(a)

    @staticmethod
    def backward(ctx, g):
        """da = −g·sin a."""
        (a,) = ctx.saved_arrays
        return -g * xp(a).sin(a)


class Sinh(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp(a).sinh(a)

    @staticmethod
    def backward(ctx, g):
        """da = g·cosh a."""
        (a,) = ctx.saved_arrays
        return g * xp(a).cosh(a)


class Cosh(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp(a).cosh(a)

    @staticmethod
    def backward(ctx, g):
        """da = g·sinh a."""
        (a,) = ctx.saved_arrays
        return g * xp(a).sinh(a)


class Sqrt(Function):
    @staticmethod
    def forward(ctx, a):
        out = xp(a).sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        """da = g / (2·√a)."""
        (out,) = ctx.saved_arrays
        return g / (2 * out)


class Rsqrt(Function):
    @staticmethod
    def forward(ctx, a):
        out = 1 / xp(a).sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        """da = −g·a^(−3/2) / 2 = −g·out³ / 2."""
        (out,) = ctx.saved_arrays
        return -0.5 * g * out * out * out


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp(a).abs(a)

    @staticmethod
    def backward(ctx, g):
        """da = g·sign(a) (0 at a = 0, and at NaN, as PyTorch)."""
        (a,) = ctx.saved_arrays
        m = xp(a)
        return g * m.where(m.isnan(a), 0, m.sign(a))


class Clamp(Function):
    @staticmethod
    def forward(ctx, a, min, max):
        ctx.save_for_backward(a)
        ctx.bounds = min, max
        return xp(a).clip(a, min, max)

    @staticmethod
    def backward(ctx, g):
        """da = g where min ≤ a ≤ max, else 0."""
        (a,) = ctx.saved_arrays
        lo, hi = ctx.bounds
        mask = xp(a).ones(a.shape, dtype=bool)
        if lo is not None:
            mask &= a >= lo
        if hi is not None:
            mask &= a <= hi
        return g * mask


class ClampTensor(Function):
    """clamp with tensor bounds (either may be None), broadcast together:
    out = min(max(a, lo), hi), so hi wins where lo > hi (as PyTorch)."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        m = xp(a)
        out = a if lo is None else m.maximum(a, lo)
        out = out if hi is None else m.minimum(out, hi)
        ctx.save_for_backward(a, lo, hi)
        return out if out is not a else a.copy()

    @staticmethod
    def backward(ctx, g):
        """PyTorch's rule: da = g where lo ≤ a ≤ hi; dlo = g where a < lo (and lo < hi);
        dhi = g where a > hi (or hi < lo); each summed back to its own shape."""
        a, lo, hi = ctx.saved_arrays
        m = xp(g)
        keep_a = m.ones(g.shape, dtype=bool)
        if lo is not None:
            keep_a = keep_a & (a >= lo)
        if hi is not None:
            keep_a = keep_a & (a <= hi)
        da = unbroadcast(m.where(keep_a, g, 0), a.shape) if ctx.needs_input_grad[0] else None
        dlo = dhi = None
        if lo is not None and ctx.needs_input_grad[1]:
            to_lo = (a < lo) if hi is None else (a < lo) & (lo < hi)
            dlo = unbroadcast(m.where(to_lo, g, 0), lo.shape)
        if hi is not None and ctx.needs_input_grad[2]:
            to_hi = (a > hi) if lo is None else (a > hi) | (hi < lo)
            dhi = unbroadcast(m.where(to_hi, g, 0), hi.shape)
        return da, dlo, dhi


def exp(input):
    return Exp.apply(_floating("exp", input))


def log(input):
    return Log.apply(_floating("log", input))


def log1p(input):
    """log(1 + x), accurate for small x."""
    return Log1p.apply(_floating("log1p", input))


def sin(input):
    return Sin.apply(_floating("sin", input))


def cos(input):
    return Cos.apply(_floating("cos", input))


def sinh(input):
    return Sinh.apply(_floating("sinh", input))


def cosh(input):
    return Cosh.apply(_floating("cosh", input))


def sqrt(input):
    return Sqrt.apply(_floating("sqrt", input))


def rsqrt(input):
    return Rsqrt.apply(_floating("rsqrt", input))


def abs(input):
    require_tensor("abs", "input", input)
    return Abs.apply(input)


def _clamp_tensors(input, min, max):
    """Bounds as tensors of the result dtype (PyTorch's promotion over input and bounds),
    broadcastable with the input."""
    bounds = [b if b is None or isinstance(b, Tensor) else
              Tensor._make(xp(input._data).asarray(b, dtype=scalar_dtype(b, input.dtype)))
              for b in (min, max)]
    tensors = [input] + [b for b in bounds if b is not None]
    dtype = result_type(*tensors)
    broadcast_shape("clamp", *(t.shape for t in tensors))
    return [None if t is None else astype(t, dtype) for t in [input] + bounds]


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; either bound may be None. Bounds are numbers or tensors
    (broadcast against the input, with gradients); the result dtype follows PyTorch's
    promotion, so integers clamped to a float bound become floats."""
    require_tensor("clamp", "input", input)
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' and 'max' must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return ClampTensor.apply(*_clamp_tensors(input, min, max))
    if input.dtype.kind != "f" and any(isinstance(b, (float, np.floating)) for b in (min, max)):
        input = astype(input, get_default_dtype())
    return Clamp.apply(input, min=min, max=max)


clip = clamp
