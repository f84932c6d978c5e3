"""Elementwise math: exp, log, sqrt, rsqrt, abs, clamp."""
from ..autograd import Function
from ._common import xp


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
    return Exp.apply(input)


def log(input):
    return Log.apply(input)


def sqrt(input):
    return Sqrt.apply(input)


def rsqrt(input):
    return Rsqrt.apply(input)


def abs(input):
    return Abs.apply(input)


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; either bound may be None (Python numbers)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' and 'max' must be given")
    return Clamp.apply(input, min=min, max=max)


clip = clamp
