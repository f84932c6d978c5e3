"""Building blocks shared by the Inception family (GoogLeNet, BN-Inception, Inception-v3/v4,
Inception-ResNet-v1/v2).

- `BasicConv2d`: conv (no bias) → BatchNorm (eps 0.001) → ReLU, with the child names `conv`
  and `bn` that torchvision's BasicConv2d and timm's ConvNormAct both use.
- `conv` / `conv_branch`: BasicConv2d layers from (out_channels, kernel, stride, padding) specs,
  padding "same" (k // 2, the default) or "valid" (0).
- `Mixed`: parallel branches on one input, concatenated along channels; a branch is one child
  or a path through several flat-named children, with forks (`"a|b"`) inside it, so that both
  timm's nested layout (`branch1.0.conv`) and torchvision's flat one (`branch3x3_2a.conv`) fit.
- `avg_pool_branch`: timm's 3×3 average pool (padding not counted) → 1×1 conv branch.
- `reduction_block`: the grid-size reduction of Szegedy et al. 2016 (Inception-v4 paper, Fig. 7
  and 18): strided 3×3 conv branches beside a 3×3/2 max pool.
- `transform_input`: maps ImageNet-normalised input to the [−1, 1] scaling of Google's weights.
"""
from .. import nn
from ..nn import functional as F

__all__ = ["BasicConv2d", "Mixed", "conv", "conv_branch", "avg_pool_branch", "reduction_block",
           "transform_input", "check_choice", "check_probability"]


class BasicConv2d(nn.Module):
    """relu(bn(conv(x))): a bias-free convolution, BatchNorm with eps 0.001, ReLU."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                              padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=1e-3)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def _padding(kernel_size, padding):
    """Padding "same" is kernel // 2 per dimension (odd kernels), "valid" is 0, else as given."""
    if padding == "same":
        kernel = kernel_size if isinstance(kernel_size, tuple) else (kernel_size, kernel_size)
        return tuple(k // 2 for k in kernel)
    return 0 if padding == "valid" else padding


def conv(in_channels, out_channels, kernel_size, stride=1, padding="same"):
    """One BasicConv2d; padding "same" (k // 2), "valid" (0) or explicit."""
    return BasicConv2d(in_channels, out_channels, kernel_size, stride,
                       _padding(kernel_size, padding))


def conv_branch(in_channels, *specs):
    """A chain of BasicConv2d, one per spec (out_channels, kernel_size[, stride[, padding]]):
    the bare layer when there is one spec, an nn.Sequential of them otherwise."""
    layers = []
    for spec in specs:
        layers.append(conv(in_channels, *spec))
        in_channels = spec[0]
    return layers[0] if len(layers) == 1 else nn.Sequential(*layers)


class Mixed(nn.Module):
    """Parallel branches applied to the same input, concatenated along channels.

    `layers` ({name: module}, in order) become the children. Without `branches`, each child is
    a branch. Otherwise each branch is a string of child names applied in turn, where "a|b"
    applies a and b to the current value and concatenates their outputs (a fork), e.g.
    "branch3x3_1 branch3x3_2a|branch3x3_2b".
    """

    def __init__(self, layers, *branches):
        super().__init__()
        for name, layer in layers.items():
            self.add_module(name, layer)
        branches = branches or tuple(layers)
        self.branches = tuple(tuple(tuple(step.split("|")) for step in branch.split())
                              for branch in branches)
        unknown = {name for branch in self.branches for step in branch for name in step} - \
            set(layers)
        if unknown:
            raise ValueError(f"Mixed: branches name layers that do not exist: {sorted(unknown)}")

    def _branch(self, steps, x):
        for step in steps:
            outputs = [self._modules[name](x) for name in step]
            x = outputs[0] if len(outputs) == 1 else F.cat(outputs, 1)
        return x

    def forward(self, x):
        return F.cat([self._branch(steps, x) for steps in self.branches], 1)   # (N, ΣC, H', W')


def avg_pool_branch(in_channels, out_channels):
    """3×3/1 average pool that ignores the zero padding (count_include_pad=False), then a 1×1
    conv: the pool branch of timm's Inception-v4 and Inception-ResNet-v2 modules."""
    return nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
                         conv(in_channels, out_channels, 1))


def reduction_block(in_channels, *branch_widths):
    """Grid reduction: one conv branch per tuple of widths (a 1×1, then 3×3s, the last one
    stride 2 and unpadded; a single width is the strided 3×3 alone) named branch0, branch1, …,
    and a 3×3/2 max pool as the last branch. Output channels: in_channels + Σ last widths."""
    layers = {}
    for i, widths in enumerate(branch_widths):
        specs = [(w, 1 if j == 0 else 3) for j, w in enumerate(widths[:-1])]
        layers[f"branch{i}"] = conv_branch(in_channels, *specs, (widths[-1], 3, 2, "valid"))
    layers[f"branch{len(branch_widths)}"] = nn.MaxPool2d(3, stride=2)
    return Mixed(layers)


# per input channel: x · std / 0.5 + (mean − 0.5) / 0.5
_INCEPTION_SCALING = ((0.229 / 0.5, (0.485 - 0.5) / 0.5), (0.224 / 0.5, (0.456 - 0.5) / 0.5),
                      (0.225 / 0.5, (0.406 - 0.5) / 0.5))


def transform_input(x):
    """Undo ImageNet mean/std normalisation of (N, 3, H, W) input and rescale it to [−1, 1],
    the input scaling of Google's Inception weights (torchvision's `transform_input`)."""
    return F.cat([x[:, c:c + 1] * scale + shift
                  for c, (scale, shift) in enumerate(_INCEPTION_SCALING)], 1)


def check_choice(owner, name, value, choices):
    if value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {choices}, got {value!r}")


def check_probability(owner, name, value):
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{owner}: {name} must be a probability in [0, 1], got {value!r}")
