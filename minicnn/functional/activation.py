"""Activation functions and softmax."""
import math

from .. import kernels
from ..autograd import Function
from ._common import normalize_dim, xp


def _has_kernel(a):
    """Whether the relu kernels take a's dtype (float32 and float64; others use NumPy)."""
    return a.dtype.char in "fd"


class ReLU(Function):
    @staticmethod
    def forward(ctx, a):
        out = kernels.get("relu", a)(a) if _has_kernel(a) else xp(a).maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        """da = 0 where relu(a) <= 0, else g."""
        (out,) = ctx.saved_arrays
        if _has_kernel(g):
            return kernels.get("relu_backward", g)(g, out)
        return g * ~(out <= 0)


class LeakyReLU(Function):
    @staticmethod
    def forward(ctx, a, negative_slope):
        ctx.save_for_backward(a)
        ctx.slope = negative_slope
        return xp(a).where(a > 0, a, a * negative_slope)

    @staticmethod
    def backward(ctx, g):
        """da = g where a > 0, slope·g elsewhere."""
        (a,) = ctx.saved_arrays
        return xp(g).where(a > 0, g, g * ctx.slope)


class Hardtanh(Function):
    @staticmethod
    def forward(ctx, a, min_val, max_val):
        ctx.save_for_backward(a)
        ctx.bounds = min_val, max_val
        return xp(a).clip(a, min_val, max_val)

    @staticmethod
    def backward(ctx, g):
        """da = g where min < a < max (open interval, as PyTorch; NaN lets g through)."""
        (a,) = ctx.saved_arrays
        lo, hi = ctx.bounds
        outside = a <= lo
        outside |= a >= hi
        return g * ~outside


class ELU(Function):
    @staticmethod
    def forward(ctx, a, alpha):
        m = xp(a)
        out = m.where(a > 0, a, alpha * m.expm1(m.minimum(a, 0)))
        ctx.save_for_backward(a, out)
        ctx.alpha = alpha
        return out

    @staticmethod
    def backward(ctx, g):
        """da = g·(out + α) where a ≤ 0, g elsewhere (NaN included, as PyTorch)."""
        a, out = ctx.saved_arrays
        return xp(g).where(a <= 0, g * (out + ctx.alpha), g)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, a):
        out = _sigmoid(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        """da = g·σ·(1 − σ)."""
        (out,) = ctx.saved_arrays
        return g * out * (1 - out)


def _sigmoid(a):
    """σ(a) = 1 / (1 + e^(−a)), without overflow for large |a|."""
    m = xp(a)
    e = m.exp(-m.abs(a))
    return m.where(a >= 0, 1 / (1 + e), e / (1 + e))


class Tanh(Function):
    @staticmethod
    def forward(ctx, a):
        out = xp(a).tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        """da = g·(1 − tanh²)."""
        (out,) = ctx.saved_arrays
        return g * (1 - out * out)


class GELU(Function):
    @staticmethod
    def forward(ctx, a, approximate):
        m = xp(a)
        ctx.save_for_backward(a)
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)
            return 0.5 * a * (1 + m.tanh(inner))
        return kernels.get("gelu", a)(a)

    @staticmethod
    def backward(ctx, g):
        """exact: da = g·(Φ(a) + a·φ(a)); tanh form: derivative of 0.5·a·(1 + tanh(u))."""
        (a,) = ctx.saved_arrays
        m = xp(a)
        if ctx.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = m.tanh(k * (a + 0.044715 * a ** 3))
            du = k * (1 + 3 * 0.044715 * a * a)
            return g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * du)
        return kernels.get("gelu_backward", a)(a, g)


class SiLU(Function):
    @staticmethod
    def forward(ctx, a):
        s = _sigmoid(a)
        ctx.save_for_backward(a, s)
        return a * s

    @staticmethod
    def backward(ctx, g):
        """da = g·σ(a)·(1 + a·(1 − σ(a)))."""
        a, s = ctx.saved_arrays
        return g * s * (1 + a * (1 - s))


def _along_rows(kernel, a, axis):
    """Apply a row kernel along `axis`: move it last, view as (rows, K), move it back."""
    m = xp(a)
    if a.size == 0:  # nothing to normalize, and no row shape to view it as
        return a.copy()
    moved = m.moveaxis(a, axis, -1)
    out = kernel(moved.reshape(-1, moved.shape[-1]))                   # (R, K)
    return m.moveaxis(out.reshape(moved.shape), -1, axis)


class Softmax(Function):
    @staticmethod
    def forward(ctx, a, axis):
        out = _along_rows(kernels.get("softmax_rows", a), a, axis)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        """da = s·(g − Σ g·s) along the axis."""
        (s,) = ctx.saved_arrays
        return s * (g - (g * s).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, a, axis):
        # max-shifted rows: stable for huge logits
        out = _along_rows(kernels.get("log_softmax_rows", a), a, axis)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        """da = g − softmax · Σ g along the axis."""
        (out,) = ctx.saved_arrays
        return g - xp(g).exp(out) * g.sum(axis=ctx.axis, keepdims=True)


def relu(input, inplace=False):
    return ReLU.apply(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return LeakyReLU.apply(input, negative_slope=negative_slope)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val={min_val} is greater than max_val={max_val}")
    if input.dtype.kind in "iu":  # as PyTorch: the bounds take the integer dtype
        min_val, max_val = int(min_val), int(max_val)
    return Hardtanh.apply(input, min_val=min_val, max_val=max_val)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0)


def elu(input, alpha=1.0, inplace=False):
    return ELU.apply(input, alpha=alpha)


def sigmoid(input):
    return Sigmoid.apply(input)


def tanh(input):
    return Tanh.apply(input)


def gelu(input, approximate="none"):
    """x·Φ(x) with the exact erf form ("none") or the tanh approximation ("tanh")."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate=approximate)


def silu(input, inplace=False):
    return SiLU.apply(input)


def _softmax_axis(op, input, dim):
    if dim is None:
        raise TypeError(f"{op}: the 'dim' argument is required")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating tensor, got dtype {input.dtype}")
    return normalize_dim(op, dim, input.ndim)


def _softmax(function, op, input, dim, dtype):
    if dtype is not None:
        input = input.to(dtype=dtype)
    axis = _softmax_axis(op, input, dim)
    if input.ndim == 0:  # as PyTorch: dim 0 or -1 of one value
        return function.apply(input.reshape(1), axis=0).reshape(())
    return function.apply(input, axis=axis)


def softmax(input, dim=None, dtype=None):
    return _softmax(Softmax, "softmax", input, dim, dtype)


def log_softmax(input, dim=None, dtype=None):
    return _softmax(LogSoftmax, "log_softmax", input, dim, dtype)
