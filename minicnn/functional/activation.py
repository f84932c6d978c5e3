"""Activation functions and softmax.

The ones PyTorch runs in place (`inplace=True`, `F.relu_`, `x.sigmoid_()` ...) take
`inplace` in forward: the result is written into the input's array, which is returned
(minicnn.autograd applies PyTorch's rules: version bump, grad_fn rebound). What backward
keeps then follows PyTorch: the result where it determines the gradient (relu, sigmoid,
tanh, leaky_relu and elu with a non-negative slope), else a private copy of what the
input was (silu, hardtanh), so that later writes to the result do not matter.
"""
import math

from .. import kernels
from ..autograd import Function
from ._common import normalize_dim, require_floating, xp
from ._float16 import computed_in_float32


def _has_kernel(a):
    """Whether the relu kernels take a's dtype (float32 and float64; others use NumPy)."""
    return a.dtype.char in "fd"


def _into(a, result, inplace):
    """`result`, or in place `a` overwritten with it."""
    if not inplace:
        return result
    a[...] = result
    return a


def _negative_slope_inplace(op, name, value):
    raise RuntimeError(f"{op}: in-place backward calculation is triggered with a negative "
                       f"slope ({name}={value}), which is not supported: the in-place result "
                       f"no longer tells the input's sign. Call the out-of-place version "
                       f"instead.")


class ReLU(Function):
    @staticmethod
    def forward(ctx, a, inplace=False):
        into = a if inplace else None
        if _has_kernel(a):
            out = kernels.get("relu", a)(a, out=into)
        else:
            out = xp(a).maximum(a, 0, out=into)
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
    def forward(ctx, a, negative_slope, inplace=False):
        out = _into(a, xp(a).where(a > 0, a, a * negative_slope), inplace)
        ctx.save_for_backward(a)               # in place, the result: positive where a was
        ctx.slope, ctx.inplace = negative_slope, inplace
        return out

    @staticmethod
    def backward(ctx, g):
        """da = g where a > 0, slope·g elsewhere."""
        if ctx.inplace and ctx.slope < 0:
            _negative_slope_inplace("leaky_relu_", "negative_slope", ctx.slope)
        (a,) = ctx.saved_arrays
        return xp(g).where(a > 0, g, g * ctx.slope)


class Hardtanh(Function):
    @staticmethod
    def forward(ctx, a, min_val, max_val, inplace=False):
        ctx.save_for_backward(a.copy() if inplace else a)
        ctx.bounds = min_val, max_val
        return xp(a).clip(a, min_val, max_val, out=a if inplace else None)

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
    def forward(ctx, a, alpha, inplace=False):
        m = xp(a)
        out = _into(a, m.where(a > 0, a, alpha * m.expm1(m.minimum(a, 0))), inplace)
        ctx.save_for_backward(a, out)          # in place, both the result: positive where a was
        ctx.alpha, ctx.inplace = alpha, inplace
        return out

    @staticmethod
    def backward(ctx, g):
        """da = g·(out + α) where a ≤ 0, g elsewhere (NaN included, as PyTorch)."""
        if ctx.inplace and ctx.alpha < 0:
            _negative_slope_inplace("elu_", "alpha", ctx.alpha)
        a, out = ctx.saved_arrays
        return xp(g).where(a <= 0, g * (out + ctx.alpha), g)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, a, inplace=False):
        out = _into(a, _sigmoid(a), inplace)
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
    def forward(ctx, a, inplace=False):
        out = xp(a).tanh(a, out=a if inplace else None)
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
    def forward(ctx, a, inplace=False):
        s = _sigmoid(a)
        ctx.save_for_backward(a.copy() if inplace else a, s)
        return xp(a).multiply(a, s, out=a if inplace else None)

    @staticmethod
    def backward(ctx, g):
        """da = g·σ(a)·(1 + a·(1 − σ(a)))."""
        a, s = ctx.saved_arrays
        return g * s * (1 + a * (1 - s))


class Softplus(Function):
    @staticmethod
    def forward(ctx, a, beta, threshold):
        m = xp(a)
        scaled = a * beta
        linear = scaled > threshold
        ctx.save_for_backward(scaled, linear)
        soft = (m.logaddexp(0, scaled) / beta).astype(a.dtype, copy=False)
        return m.where(linear, a, soft)

    @staticmethod
    def backward(ctx, g):
        """da = g·σ(β·a), and g where β·a > threshold (the linear part)."""
        scaled, linear = ctx.saved_arrays
        return xp(g).where(linear, g, g * _sigmoid(scaled))


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
    return ReLU.apply(input, inplace=bool(inplace))


def relu_(input):
    return relu(input, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return LeakyReLU.apply(input, negative_slope=negative_slope, inplace=bool(inplace))


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val={min_val} is greater than max_val={max_val}")
    if input.dtype.kind in "iu":  # as PyTorch: the bounds take the integer dtype
        min_val, max_val = int(min_val), int(max_val)
    return Hardtanh.apply(input, min_val=min_val, max_val=max_val, inplace=bool(inplace))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def elu(input, alpha=1.0, inplace=False):
    return ELU.apply(input, alpha=alpha, inplace=bool(inplace))


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def sigmoid(input):
    return Sigmoid.apply(input)


def sigmoid_(input):
    return Sigmoid.apply(input, inplace=True)


def tanh(input):
    return Tanh.apply(input)


def tanh_(input):
    return Tanh.apply(input, inplace=True)


@computed_in_float32("input")
def gelu(input, approximate="none"):
    """x·Φ(x) with the exact erf form ("none") or the tanh approximation ("tanh")."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    require_floating("gelu", "input", input)
    return GELU.apply(input, approximate=approximate)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e^(β·x)) / β, and x itself where β·x > threshold (as PyTorch)."""
    require_floating("softplus", "input", input)
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero, got 0")
    return Softplus.apply(input, beta=float(beta), threshold=float(threshold))


def silu(input, inplace=False):
    return SiLU.apply(input, inplace=bool(inplace))


def _softmax_axis(op, input, dim):
    if dim is None:
        raise TypeError(f"{op}: the 'dim' argument is required")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating tensor, got dtype {input.dtype}")
    return normalize_dim(op, dim, input.ndim)


def _softmax(function, op, input, dim, dtype):
    if dtype is not None:
        input = input.to(dtype=dtype)
    return _along_dim(function, op, input, dim)


def softmax(input, dim=None, dtype=None):
    return _softmax(Softmax, "softmax", input, dim, dtype)


def log_softmax(input, dim=None, dtype=None):
    return _softmax(LogSoftmax, "log_softmax", input, dim, dtype)


@computed_in_float32("input")
def _along_dim(function, op, input, dim):
    """Softmax or LogSoftmax (`function`) of `input` along `dim`, after any dtype cast."""
    axis = _softmax_axis(op, input, dim)
    if input.ndim == 0:  # as PyTorch: dim 0 or -1 of one value
        return function.apply(input.reshape(1), axis=0).reshape(())
    return function.apply(input, axis=axis)
