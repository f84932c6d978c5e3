"""Elementwise math: exp, log, sqrt, rsqrt, abs, clamp."""
from ..autograd import Function
from ..dtypes import get_default_dtype
from ._common import require_tensor, xp
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
        """da = g·sign(a) (0 at a = 0)."""
        (a,) = ctx.saved_arrays
        return g * xp(a).sign(a)


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


def exp(input):
    return Exp.apply(_floating("exp", input))


def log(input):
    return Log.apply(_floating("log", input))


def sqrt(input):
    return Sqrt.apply(_floating("sqrt", input))


def rsqrt(input):
    return Rsqrt.apply(_floating("rsqrt", input))


def abs(input):
    require_tensor("abs", "input", input)
    return Abs.apply(input)


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; either bound may be None (Python numbers)."""
    require_tensor("clamp", "input", input)
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' and 'max' must be given")
    return Clamp.apply(input, min=min, max=max)


clip = clamp
