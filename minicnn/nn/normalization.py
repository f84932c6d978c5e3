"""BatchNorm1d/2d/3d, LayerNorm, GroupNorm, LocalResponseNorm."""
import numpy as np

from .. import creation
from .. import functional as F
from ..functional import _validate as validate
from ..tensor import Tensor
from . import init
from .linear import _weight_and_bias
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
           "LocalResponseNorm"]


def _affine_parameters(module, affine, bias, shape, device, dtype):
    """`weight` and `bias` of `shape` when `affine` (`bias` None unless `bias`), else None."""
    _weight_and_bias(module, shape if affine else None, shape if affine and bias else None,
                     device, dtype)


def _reset_affine(module, affine):
    """weight ← 1 and bias ← 0 (those that exist) when `affine`."""
    if affine:
        init.ones_(module.weight)
        if module.bias is not None:
            init.zeros_(module.bias)


class _BatchNorm(Module):
    _version = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        name = type(self).__name__
        self.num_features = num_features = validate.integer(name, "num_features", num_features, 0)
        validate.eps(name, eps)
        validate.momentum(name, momentum)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _affine_parameters(self, affine, bias, (num_features,), device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean",
                                 creation.zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var",
                                 creation.ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked",
                                 creation.zeros((), device=device, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        _reset_affine(self, self.affine)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        if self.training:
            bn_training = True
        else:
            bn_training = self.running_mean is None and self.running_var is None
        use_stats = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if use_stats else None,
                            self.running_var if use_stats else None, self.weight, self.bias,
                            bn_training, factor, self.eps)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs, assign=False):
        # checkpoints older than num_batches_tracked, or without metadata (a plain dict):
        # keep the current count instead of reporting the key missing, as PyTorch does
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = self.num_batches_tracked if self.num_batches_tracked \
                    is not None else Tensor._make(np.zeros((), dtype=np.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs, assign)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) or (N, C, L) input."""

    def _check_input_dim(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"BatchNorm1d: expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalization over (N, C, H, W) input."""

    def _check_input_dim(self, input):
        if input.ndim != 4:
            raise ValueError(f"BatchNorm2d: expected 4D input (got {input.ndim}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalization over (N, C, D, H, W) input."""

    def _check_input_dim(self, input):
        if input.ndim != 5:
            raise ValueError(f"BatchNorm3d: expected 5D input (got {input.ndim}D input)")


class LayerNorm(Module):
    """Normalize over the trailing `normalized_shape` dims; weight (ones) and bias (zeros)
    of that shape when elementwise_affine."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.normalized_shape = validate.sizes("LayerNorm", "normalized_shape", normalized_shape)
        validate.eps("LayerNorm", eps)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_parameters(self, elementwise_affine, bias, self.normalized_shape, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self, self.elementwise_affine)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        num_groups = validate.integer("GroupNorm", "num_groups", num_groups, 1)
        num_channels = validate.integer("GroupNorm", "num_channels", num_channels, 0)
        validate.eps("GroupNorm", eps)
        if num_channels % num_groups != 0:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_parameters(self, affine, bias, (num_channels,), device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self, self.affine)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """Local response normalisation across channels, with torch.nn.LocalResponseNorm's
    arguments and, by default, its convention:

        alpha_convention="pytorch":  y[c] = x[c] / (k + alpha / size · Σ x²[c']) ^ beta
        alpha_convention="paper":    y[c] = x[c] / (k + alpha · Σ x²[c']) ^ beta

    the sum over the `size` channels c − size//2 … c + (size−1)//2 (zero beyond the ends).
    PyTorch, Caffe and ONNX divide alpha by the window size; Krizhevsky et al. (AlexNet,
    2012, §3.3) do not, so their alpha = 1e-4 with size 5 normalises as alpha = 5e-4 does
    here by default. "paper" takes alpha as the paper writes it (F.local_response_norm is
    then called with alpha · size)."""

    CONVENTIONS = ("pytorch", "paper")

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0, alpha_convention="pytorch"):
        super().__init__()
        validate.integer("LocalResponseNorm", "size", size, 1)
        for name, value in (("alpha", alpha), ("beta", beta), ("k", k)):
            validate.real("LocalResponseNorm", name, value)
        if alpha_convention not in self.CONVENTIONS:
            raise ValueError(f"LocalResponseNorm: alpha_convention must be one of "
                             f"{self.CONVENTIONS}, got {alpha_convention!r}")
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k
        self.alpha_convention = alpha_convention

    def forward(self, input):
        alpha = self.alpha * self.size if self.alpha_convention == "paper" else self.alpha
        return F.local_response_norm(input, self.size, alpha, self.beta, self.k)

    def extra_repr(self):
        convention = ", alpha_convention='paper'" if self.alpha_convention == "paper" else ""
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}{convention}"
