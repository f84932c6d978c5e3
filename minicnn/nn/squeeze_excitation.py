"""Squeeze-and-Excitation block (Hu et al., "Squeeze-and-Excitation Networks", 2018, Fig. 1),
with torchvision.ops.SqueezeExcitation's arguments and state_dict keys (fc1, fc2).

    s = σ(W₂ δ(W₁ GAP(x) + b₁) + b₂)      # (N, C, 1, 1), W₁: C → squeeze, W₂: squeeze → C
    y = s · x                             # (N, C, H, W), each channel rescaled

δ is `activation` (ReLU), σ is `scale_activation` (Sigmoid); W₁ and W₂ are 1×1 convolutions
with bias, so the block applies to any spatial size.
"""
from .activation import ReLU, Sigmoid
from .conv import Conv2d
from .module import Module
from .pooling import AdaptiveAvgPool2d

__all__ = ["SqueezeExcitation"]


class SqueezeExcitation(Module):
    """Channel attention: y = σ(fc2(δ(fc1(avgpool(x))))) · x over (N, C, H, W) input."""

    def __init__(self, input_channels, squeeze_channels, activation=ReLU,
                 scale_activation=Sigmoid):
        super().__init__()
        for name, value in (("input_channels", input_channels),
                            ("squeeze_channels", squeeze_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"SqueezeExcitation: {name} must be a positive int, got "
                                 f"{value!r}")
        self.avgpool = AdaptiveAvgPool2d(1)
        self.fc1 = Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, input):
        scale = self.avgpool(input)                     # (N, C, 1, 1)
        scale = self.activation(self.fc1(scale))        # (N, squeeze, 1, 1)
        return self.scale_activation(self.fc2(scale))   # (N, C, 1, 1)

    def forward(self, input):
        return self._scale(input) * input               # (N, C, H, W)
