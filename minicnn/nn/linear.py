"""Identity, Linear, Flatten, Unflatten."""
import math

from .. import creation
from .. import functional as F
from ..allocation import check_fits
from ..functional import _validate as validate
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Identity", "Linear", "Flatten", "Unflatten"]


def _empty(shape, device, dtype):
    return creation.empty(*shape, device=device, dtype=dtype)


def _weight_and_bias(module, weight_shape, bias_shape, device, dtype):
    """Give `module` its `weight` and `bias`: new (uninitialised) Parameters of these
    shapes, or registered as None where the shape is None."""
    for name, shape in (("weight", weight_shape), ("bias", bias_shape)):
        if shape is None:
            module.register_parameter(name, None)
        else:
            check_fits(type(module).__name__, name, shape, dtype, device)
            setattr(module, name, Parameter(_empty(shape, device, dtype)))


class Identity(Module):
    """Returns its input; accepts (and ignores) any constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x · Wᵀ + b with W of shape (out_features, in_features)."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = validate.integer("Linear", "in_features", in_features, 0)
        self.out_features = validate.integer("Linear", "out_features", out_features, 0)
        _weight_and_bias(self, (self.out_features, self.in_features),
                         (self.out_features,) if bias else None, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """W ~ U(−1/√in, 1/√in) via kaiming_uniform_(a=√5); b ~ U(−1/√in, 1/√in)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Flatten dims start_dim..end_dim into one."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dimension `dim` into `unflattened_size` (a tuple of ints, one may be -1)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(dim, int):
            raise TypeError(f"Unflatten: invalid type of dim {type(dim).__name__}, expected int")
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(s, int) for s in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got "
                            f"{unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        ndim = input.ndim
        dim = self.dim + ndim if self.dim < 0 else self.dim
        if not 0 <= dim < ndim:
            raise ValueError(f"Unflatten: dim={self.dim} is out of range for a tensor of "
                             f"{ndim} dimension(s)")
        shape = tuple(input.shape)
        sizes = tuple(self.unflattened_size)
        known = math.prod(s for s in sizes if s != -1)
        if sizes.count(-1) > 1 or (-1 not in sizes and known != shape[dim]) or \
                (-1 in sizes and (known == 0 or shape[dim] % known)):
            raise ValueError(f"Unflatten: unflattened_size {sizes} does not multiply to the "
                             f"size {shape[dim]} of dimension {dim} (input shape {shape})")
        return input.reshape(shape[:dim] + sizes + shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
