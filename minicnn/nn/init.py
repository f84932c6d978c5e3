"""Weight initialisation, as torch.nn.init: every function fills a tensor in place (under
no_grad) from minicnn's seeded generator (`mc.manual_seed`) and returns it, drawing and
writing on the tensor's device.

The distributions and their parameters are PyTorch's; the random streams are minicnn's
own, so the values differ from PyTorch's for the same seed.
"""
import math
import warnings

import numpy as np

from .. import backend
from ..random import generator
from ..tensor import Tensor
from ..version_counter import bump_version

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "zeros_",
           "ones_", "eye_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_"]


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity: linear/conv/sigmoid 1, tanh 5/3, relu √2,
    leaky_relu √(2/(1 + slope²)), selu 3/4."""
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _check(op, tensor):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(tensor).__name__}")


def _fill(tensor, values):
    """Write `values` (an array of tensor's shape, host or device) into tensor._data, in
    place: the tensor's version is bumped."""
    data = tensor._data
    values = backend.to_device(values, backend.device_of(data))
    data[...] = values.astype(data.dtype, copy=False)
    bump_version(tensor)
    return tensor


def _rng(tensor):
    return generator(tensor.device)


def _draw_dtype(tensor):
    """float32 draws for a float32 tensor (half the work, no cast), float64 otherwise."""
    return np.float32 if tensor._data.dtype == np.float32 else np.float64


@backend.on_input_device
def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """U(a, b)."""
    _check("uniform_", tensor)
    rng = generator or _rng(tensor)
    return _fill(tensor, a + (b - a) * rng.random(tensor.shape, dtype=_draw_dtype(tensor)))


@backend.on_input_device
def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """N(mean, std²)."""
    _check("normal_", tensor)
    rng = generator or _rng(tensor)
    return _fill(tensor, mean + std * rng.standard_normal(tensor.shape,
                                                          dtype=_draw_dtype(tensor)))


def _normal_quantile(p):
    """Φ⁻¹(p) for p in (0, 1), Acklam's rational approximation (relative error < 1.2e-9)."""
    a = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
         1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
    b = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
         6.680131188771972e+01, -1.328068155288572e+01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
         -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
         3.754408661907416e+00)
    p = np.asarray(p, dtype=np.float64)
    x = np.empty_like(p)
    low, high = 0.02425, 1 - 0.02425
    lower, upper = p < low, p > high
    mid = ~(lower | upper)
    q = p[mid] - 0.5
    r = q * q
    x[mid] = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
              / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1))
    for mask, sign, tail in ((lower, 1.0, p[lower]), (upper, -1.0, 1 - p[upper])):
        q = np.sqrt(-2 * np.log(tail))
        x[mask] = sign * ((((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                          / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1))
    return x


@backend.on_input_device
def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """N(mean, std²) truncated to [a, b] (absolute bounds, as PyTorch). When most of the mass
    lies in [a, b], normal draws with the few outside drawn again; otherwise the inverse CDF
    of a uniform draw on [Φ((a − mean)/std), Φ((b − mean)/std)]."""
    _check("trunc_normal_", tensor)
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)

    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    lo, hi = norm_cdf((a - mean) / std), norm_cdf((b - mean) / std)
    rng = generator or _rng(tensor)
    if hi - lo >= 0.25:                        # at most four draws per value on average
        dtype = _draw_dtype(tensor)
        values = mean + std * rng.standard_normal(tensor.shape, dtype=dtype)
        outside = (values < a) | (values > b)
        while outside.any():
            values[outside] = mean + std * rng.standard_normal(int(outside.sum()), dtype=dtype)
            outside = (values < a) | (values > b)
        return _fill(tensor, values)
    u = backend.to_device(rng.random(tensor.shape, dtype=np.float64), "cpu")
    p = np.clip(lo + (hi - lo) * u, np.nextafter(0.0, 1.0), np.nextafter(1.0, 0.0))
    values = np.clip(mean + std * _normal_quantile(p), a, b)
    return _fill(tensor, values)


@backend.on_input_device
def constant_(tensor, val):
    _check("constant_", tensor)
    tensor._data[...] = val
    bump_version(tensor)
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0)


def ones_(tensor):
    return constant_(tensor, 1)


@backend.on_input_device
def eye_(tensor):
    """The identity matrix (2-D tensors)."""
    _check("eye_", tensor)
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    xp = backend.xp_of(tensor._data)
    tensor._data[...] = xp.eye(*tensor.shape, dtype=tensor.dtype)
    bump_version(tensor)
    return tensor


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = size(1) · receptive field, fan_out = size(0) · receptive field."""
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(−a, a) with a = gain · √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(op, tensor, a, mode, nonlinearity):
    """gain / √fan for the kaiming initializers, or None (after warning the caller's
    caller) when the tensor has no elements."""
    _check(op, tensor)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(−bound, bound) with bound = gain · √(3 / fan), gain = calculate_gain(nonlinearity, a)."""
    std = _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std²) with std = gain / √fan."""
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)
