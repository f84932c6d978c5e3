"""MobileNet v1 (Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile
Vision Applications", 2017, arXiv 1704.04861) with timm's `mobilenetv1_100` state_dict keys,
and MobileNet v2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
CVPR 2018, arXiv 1801.04381) with torchvision's constructor and keys.

MobileNet v1 (paper Table 1), channels times the width multiplier α (rounded to multiples of 8
as timm does), any input size (224 → 7 at the last stage):

    conv_stem 3×3/2, 32 → BN → ReLU6                                  224 → 112
    blocks.0  depthwise-separable 64                                  112
    blocks.1  depthwise-separable /2, 128 → 128                       112 → 56
    blocks.2  depthwise-separable /2, 256 → 256                        56 → 28
    blocks.3  depthwise-separable /2, 512, then 5 × 512                28 → 14
    blocks.4  depthwise-separable /2, 1024 → 1024                      14 → 7
    global average pool → (dropout) → classifier FC 1024→classes

A depthwise-separable block is conv_dw 3×3 (one filter per map) → BN → ReLU6 → conv_pw 1×1 →
BN → ReLU6. The paper uses ReLU; timm (whose weights this loads) uses ReLU6. BN eps 1e-5.
At α = 1, .75, .5, .25 there are 4.2, 2.6, 1.3, 0.5 M parameters (paper Table 6; 4,231,976
exactly at α = 1). Initialisation as timm's (TensorFlow's): conv weights N(0, 2/fan_out) with
fan_out = k·k·out/groups, BN 1 and 0, classifier U(±1/√classes), biases 0.

MobileNet v2 (torchvision's `mobilenet_v2`, 3,504,872 parameters): a 3×3/2 stem of 32 maps,
inverted residual blocks (1×1 expansion by t → 3×3 depthwise → 1×1 linear projection, each but
the last with BN and ReLU6; a residual sum where stride is 1 and the width is kept), a 1×1 conv
to 1280 maps, global average pool, dropout, FC. Rows (t, c, n, s) of paper Table 2 below.
"""
import math

from .. import nn
from .weights import accepts_weights_keywords

# (output channels, repeats, stride of the first) per stage of MobileNet v1's blocks
V1_STAGES = [(64, 1, 1), (128, 2, 2), (256, 2, 2), (512, 6, 2), (1024, 2, 2)]

# (expansion t, output channels c, repeats n, stride of the first s) per stage of MobileNet v2
V2_STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
             (6, 160, 3, 2), (6, 320, 1, 1)]


def _make_divisible(value, divisor=8):
    """The nearest multiple of divisor to value (at least divisor), never below 90% of value."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _check_args(name, num_classes, width_mult, dropout):
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"{name}: num_classes must be a positive integer, got {num_classes!r}")
    if not width_mult > 0:
        raise ValueError(f"{name}: width_mult must be positive, got {width_mult!r}")
    if not 0.0 <= dropout <= 1.0:
        raise ValueError(f"{name}: dropout must be in [0, 1], got {dropout!r}")


class DepthwiseSeparable(nn.Module):
    """conv_dw 3×3 (groups = channels) → bn1 → ReLU6 → conv_pw 1×1 → bn2 → ReLU6."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv_dw = nn.Conv2d(in_channels, in_channels, 3, stride=stride, padding=1,
                                 groups=in_channels, bias=False)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.act1 = nn.ReLU6(inplace=True)
        self.conv_pw = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.act2 = nn.ReLU6(inplace=True)

    def forward(self, x):
        x = self.act1(self.bn1(self.conv_dw(x)))   # (N, C_in, H/s, W/s)
        return self.act2(self.bn2(self.conv_pw(x)))  # (N, C_out, H/s, W/s)


class MobileNetV1(nn.Module):
    def __init__(self, num_classes=1000, width_mult=1.0, dropout=0.0):
        super().__init__()
        _check_args("mobilenet_v1", num_classes, width_mult, dropout)
        self.input_size = (3, 224, 224)
        channels = _make_divisible(32 * width_mult)
        self.conv_stem = nn.Conv2d(3, channels, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.act1 = nn.ReLU6(inplace=True)
        stages = []
        for out_channels, repeats, stride in V1_STAGES:
            out_channels = _make_divisible(out_channels * width_mult)
            blocks = []
            for index in range(repeats):
                blocks.append(DepthwiseSeparable(channels, out_channels,
                                                 stride if index == 0 else 1))
                channels = out_channels
            stages.append(nn.Sequential(*blocks))
        self.blocks = nn.Sequential(*stages)
        self.num_features = channels
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(p=dropout)
        self.classifier = nn.Linear(channels, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                kh, kw = module.kernel_size
                fan_out = kh * kw * module.out_channels // module.groups
                nn.init.normal_(module.weight, 0.0, math.sqrt(2.0 / fan_out))
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        bound = 1.0 / math.sqrt(num_classes)
        nn.init.uniform_(self.classifier.weight, -bound, bound)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, x):
        x = self.act1(self.bn1(self.conv_stem(x)))   # (N, 32α, H/2, W/2)
        x = self.blocks(x)                           # (N, 1024α, H/32, W/32)
        x = self.global_pool(x).flatten(1)           # (N, 1024α)
        return self.classifier(self.dropout(x))      # (N, num_classes)


def conv_bn_relu6(in_channels, out_channels, kernel_size=3, stride=1, groups=1):
    """torchvision's Conv2dNormActivation with ReLU6: conv (no bias) → BN → ReLU6."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                  padding=(kernel_size - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    """[1×1 expand ×t → BN → ReLU6] → 3×3 depthwise (stride) → BN → ReLU6 → 1×1 project → BN,
    plus the input when stride is 1 and the width is kept."""

    def __init__(self, in_channels, out_channels, stride, expand_ratio):
        super().__init__()
        hidden = int(round(in_channels * expand_ratio))
        self.use_res_connect = stride == 1 and in_channels == out_channels
        expand = [conv_bn_relu6(in_channels, hidden, 1)] if expand_ratio != 1 else []
        self.conv = nn.Sequential(
            *expand,
            conv_bn_relu6(hidden, hidden, 3, stride=stride, groups=hidden),
            nn.Conv2d(hidden, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )

    def forward(self, x):
        out = self.conv(x)                           # (N, C_out, H/s, W/s)
        return x + out if self.use_res_connect else out


class MobileNetV2(nn.Module):
    def __init__(self, num_classes=1000, width_mult=1.0, round_nearest=8, dropout=0.2):
        super().__init__()
        _check_args("mobilenet_v2", num_classes, width_mult, dropout)
        if not isinstance(round_nearest, int) or round_nearest < 1:
            raise ValueError(f"mobilenet_v2: round_nearest must be a positive integer, got "
                             f"{round_nearest!r}")
        self.input_size = (3, 224, 224)
        channels = _make_divisible(32 * width_mult, round_nearest)
        self.last_channel = _make_divisible(1280 * max(1.0, width_mult), round_nearest)
        layers = [conv_bn_relu6(3, channels, stride=2)]
        for expand_ratio, out_channels, repeats, stride in V2_STAGES:
            out_channels = _make_divisible(out_channels * width_mult, round_nearest)
            for index in range(repeats):
                layers.append(InvertedResidual(channels, out_channels,
                                               stride if index == 0 else 1, expand_ratio))
                channels = out_channels
        layers.append(conv_bn_relu6(channels, self.last_channel, 1))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout),
                                        nn.Linear(self.last_channel, num_classes))
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0.0, 0.01)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        x = self.features(x)                         # (N, 1280, H/32, W/32)
        x = self.avgpool(x).flatten(1)               # (N, 1280)
        return self.classifier(x)                    # (N, num_classes)


@accepts_weights_keywords
def mobilenet_v1(num_classes=1000, width_mult=1.0, dropout=0.0):
    """MobileNet v1 at width multiplier α = width_mult (timm `mobilenetv1_100` at α = 1), any
    input resolution."""
    return MobileNetV1(num_classes, width_mult, dropout)


@accepts_weights_keywords
def mobilenet_v2(num_classes=1000, width_mult=1.0, round_nearest=8, dropout=0.2):
    """MobileNet v2 as torchvision's `mobilenet_v2`."""
    return MobileNetV2(num_classes, width_mult, round_nearest, dropout)
