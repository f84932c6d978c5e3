"""Conv2d and ConvTranspose2d."""
import math

from .. import functional as F
from ..functional import _validate as validate
from . import init
from .linear import _weight_and_bias
from .module import Module

__all__ = ["Conv2d", "ConvTranspose2d"]


def _pair(value):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"expected an int or a pair, got {value!r}")
        return tuple(value)
    return (value, value)


class _ConvNd(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device, dtype):
        super().__init__()
        name = type(self).__name__
        in_channels = validate.integer(name, "in_channels", in_channels, 0)
        out_channels = validate.integer(name, "out_channels", out_channels, 0)
        groups = validate.integer(name, "groups", groups, 1)
        kernel_size = validate.int_pair(name, "kernel_size", kernel_size, 1)
        stride = validate.int_pair(name, "stride", stride, 1)
        dilation = validate.int_pair(name, "dilation", dilation, 1)
        output_padding = validate.int_pair(name, "output_padding", output_padding, 0)
        if transposed or not isinstance(padding, str):
            padding = validate.int_pair(name, "padding", padding, 0)
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels={in_channels} must be divisible by "
                             f"groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels={out_channels} must be divisible by "
                             f"groups={groups}")
        valid_strings = {"same", "valid"}
        if isinstance(padding, str):
            if padding not in valid_strings:
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one "
                                 f"of {valid_strings}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions")
        if padding_mode != "zeros":
            raise ValueError(f"{name}: padding_mode={padding_mode!r} is not supported; "
                             f"minicnn implements only padding_mode='zeros'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        _weight_and_bias(self, shape, (out_channels,) if bias else None, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """W ~ U(−1/√fan_in, 1/√fan_in) via kaiming_uniform_(a=√5); b ~ U(−1/√fan_in,
        1/√fan_in), fan_in = weight.shape[1] · kh · kw."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
            f"stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W) input; weight
    (out_channels, in_channels / groups, kh, kw)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False,
                         0, groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution; weight (in_channels, out_channels / groups, kh, kw).
    forward(input, output_size=None): output_size picks the output_padding that gives it."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True,
                         output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        output_size = tuple(int(s) for s in output_size)
        non_spatial = 2 if input.ndim == 4 else 1
        if len(output_size) == non_spatial + 2:
            output_size = output_size[non_spatial:]
        if len(output_size) != 2:
            raise ValueError(f"ConvTranspose2d: output_size must have 2 or {non_spatial + 2} "
                             f"elements (got {len(output_size)})")
        min_sizes, max_sizes = [], []
        for d in range(2):
            size = ((input.shape[d + non_spatial] - 1) * self.stride[d] - 2 * self.padding[d]
                    + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            min_sizes.append(size)
            max_sizes.append(size + self.stride[d] - 1)
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(f"ConvTranspose2d: requested an output size of "
                                 f"{list(output_size)}, but valid sizes range from {min_sizes} "
                                 f"to {max_sizes} (for an input of "
                                 f"{tuple(input.shape[non_spatial:])})")
        return tuple(s - lo for s, lo in zip(output_size, min_sizes))

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)
