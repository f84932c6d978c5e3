"""mc.nn.utils: gradient clipping, flat parameter vectors and Conv+BatchNorm folding, as
torch.nn.utils."""
import math

import numpy as np

from .. import backend
from .. import functional as F
from ..tensor import Tensor
from ..version_counter import bump_version
from .fusion import fuse_conv_bn, fuse_conv_bn_eval, fuse_conv_bn_weights

__all__ = ["clip_grad_norm_", "clip_grad_value_", "fuse_conv_bn", "fuse_conv_bn_eval",
           "fuse_conv_bn_weights", "get_total_norm", "parameters_to_vector",
           "vector_to_parameters"]


def _as_list(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _vector_norm(array, norm_type):
    """‖array‖_p over all elements, as a 0-d array (float64 accumulation), computed on the
    array's device."""
    with backend.on_device_of(array):
        return _norm(array, norm_type)


def _norm(array, norm_type):
    m = backend.xp_of(array)
    a = m.abs(array.reshape(-1).astype(np.float64))
    if norm_type == math.inf:
        value = a.max() if a.size else m.zeros((), np.float64)
    elif norm_type == -math.inf:
        value = a.min() if a.size else m.full((), math.inf)
    elif norm_type == 0:
        value = (a != 0).sum().astype(np.float64)
    elif norm_type == 1:
        value = a.sum()
    elif norm_type == 2:
        value = m.sqrt((a * a).sum())
    else:
        value = (a ** norm_type).sum() ** (1.0 / norm_type)
    return m.asarray(value)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of `tensors` (as if concatenated into one vector)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(np.zeros((), dtype=np.float32))
    first = tensors[0]._data
    m = backend.xp_of(first)
    norms = [backend.to_device(_vector_norm(t._data, norm_type), backend.device_of(first))
             for t in tensors]
    with backend.on_device_of(first):
        total = _vector_norm(m.stack(norms), norm_type)
    if error_if_nonfinite and not bool(m.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           f"is non-finite, so it cannot be clipped. To disable this error and "
                           f"scale the gradients by the non-finite norm anyway, set "
                           f"`error_if_nonfinite=False`")
    with backend.on_device_of(first):
        return Tensor._make(total.astype(first.dtype))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients of `parameters` in place so that their total norm is at most
    max_norm (factor max_norm / (norm + 1e-6), capped at 1); returns the total norm before
    clipping, as a 0-d Tensor."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return Tensor._make(np.zeros((), dtype=np.float32))
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    coef = min(float(max_norm) / (float(total.item()) + 1e-6), 1.0)
    with np.errstate(invalid="ignore", over="ignore"):  # a non-finite norm scales to nan
        for g in grads:
            g.mul_(g._data.dtype.type(coef))
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient of `parameters` into [−clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters):
    """One 1-D tensor holding every parameter, flattened, in order (differentiable)."""
    return F.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D `vec` into `parameters`, in place."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected a Tensor, but got: {type(vec).__name__}")
    data = vec._data
    offset = 0
    for p in parameters:
        n = p.numel()
        with backend.on_device_of(p._data):
            p._data[...] = data[offset:offset + n].reshape(p.shape)
        bump_version(p)
        offset += n
