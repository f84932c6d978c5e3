"""Pre-activation ResNet (He et al., "Identity Mappings in Deep Residual Networks", 2016) with
timm's `resnetv2_50` structure, state_dict keys and initialisation (timm/models/resnetv2.py:
ResNetV2 with BatchNorm and plain convolutions).

    stem.conv 7×7/2 64, stem.pool 3×3/2 max          224 → 56   (no norm: the blocks preactivate)
    stages.0  3 PreActBottlenecks →  256 channels      56
    stages.1  4 PreActBottlenecks →  512, stride 2     28
    stages.2  6 PreActBottlenecks → 1024, stride 2     14
    stages.3  3 PreActBottlenecks → 2048, stride 2      7
    norm (BN + ReLU), head: global average pool, head.fc 1×1 conv, flatten

A PreActBottleneck computes p = relu(norm1(x)), then conv3(relu(norm3(conv2(relu(norm2(
conv1(p))))))) + shortcut, where the shortcut is x, or downsample.conv(p) (a strided 1×1) in
each stage's first block; the stride sits on the 3×3 conv.
"""
from collections import OrderedDict

from .. import nn
from ..nn import functional as F
from .weights import accepts_weights_keywords

__all__ = ["ResNetV2", "PreActBottleneck", "resnetv2_50"]


class BatchNormReLU(nn.BatchNorm2d):
    """relu(batch_norm(x)), with BatchNorm2d's parameters and keys (timm's BatchNormAct2d)."""

    def forward(self, input):
        return F.relu(super().forward(input))


class DownsampleConv(nn.Module):
    """Projection shortcut on the preactivated input: a strided 1×1 conv (key `conv`)."""

    def __init__(self, in_chs, out_chs, stride):
        super().__init__()
        self.conv = nn.Conv2d(in_chs, out_chs, 1, stride=stride, bias=False)

    def forward(self, x):
        return self.conv(x)


class PreActBottleneck(nn.Module):
    """Norm-act-conv bottleneck: 1×1 to out_chs / 4, 3×3 (stride), 1×1 to out_chs."""

    def __init__(self, in_chs, out_chs, stride=1, project=False, bottle_ratio=0.25):
        super().__init__()
        mid_chs = int(out_chs * bottle_ratio)
        self.downsample = DownsampleConv(in_chs, out_chs, stride) if project else None
        self.norm1 = BatchNormReLU(in_chs)
        self.conv1 = nn.Conv2d(in_chs, mid_chs, 1, bias=False)
        self.norm2 = BatchNormReLU(mid_chs)
        self.conv2 = nn.Conv2d(mid_chs, mid_chs, 3, stride=stride, padding=1, bias=False)
        self.norm3 = BatchNormReLU(mid_chs)
        self.conv3 = nn.Conv2d(mid_chs, out_chs, 1, bias=False)

    def forward(self, x):
        x_preact = self.norm1(x)                                # (N, in_chs, H, W)
        shortcut = x if self.downsample is None else self.downsample(x_preact)
        x = self.conv1(x_preact)                                # (N, mid, H, W)
        x = self.conv2(self.norm2(x))                           # (N, mid, H/s, W/s)
        x = self.conv3(self.norm3(x))                           # (N, out_chs, H/s, W/s)
        return x + shortcut


class ResNetStage(nn.Module):
    """`depth` PreActBottlenecks (key `blocks`); the first projects and strides."""

    def __init__(self, in_chs, out_chs, stride, depth):
        super().__init__()
        self.blocks = nn.Sequential(*[
            PreActBottleneck(in_chs if i == 0 else out_chs, out_chs, stride if i == 0 else 1,
                             project=i == 0)
            for i in range(depth)])

    def forward(self, x):
        return self.blocks(x)


class ClassifierHead(nn.Module):
    """Global average pooling, a 1×1 conv classifier (key `fc`), flatten."""

    def __init__(self, in_features, num_classes):
        super().__init__()
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Conv2d(in_features, num_classes, 1)
        self.flatten = nn.Flatten(1)

    def forward(self, x):
        return self.flatten(self.fc(self.global_pool(x)))      # (N, num_classes)


class ResNetV2(nn.Module):
    """Pre-activation ResNet with bottleneck blocks for (N, 3, H, W) input (224 native)."""

    def __init__(self, layers, channels=(256, 512, 1024, 2048), num_classes=1000, stem_chs=64,
                 zero_init_last=False):
        super().__init__()
        if len(layers) != len(channels) or any(int(n) < 1 for n in layers):
            raise ValueError(f"ResNetV2: layers must be {len(channels)} positive block counts, "
                             f"got {layers!r}")
        self.input_size = (3, 224, 224)
        self.stem = nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(3, stem_chs, 7, stride=2, padding=3, bias=False)),
            ("pool", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        stages, prev_chs = [], stem_chs
        for index, (depth, out_chs) in enumerate(zip(layers, channels)):
            stages.append(ResNetStage(prev_chs, out_chs, 1 if index == 0 else 2, depth))
            prev_chs = out_chs
        self.stages = nn.Sequential(*stages)
        self.num_features = prev_chs
        self.norm = BatchNormReLU(prev_chs)
        self.head = ClassifierHead(prev_chs, num_classes)
        self._init_weights(zero_init_last)

    def _init_weights(self, zero_init_last):
        """timm's: head.fc ~ N(0, 0.01²) with zero bias, other convs kaiming_normal(fan_out,
        relu), norms 1/0; with zero_init_last each block's conv3 starts at 0 (the block is its
        shortcut)."""
        for name, m in self.named_modules():
            if isinstance(m, nn.Conv2d) and name == "head.fc":
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_last:
            for m in self.modules():
                if isinstance(m, PreActBottleneck):
                    nn.init.zeros_(m.conv3.weight)

    def forward(self, x):
        x = self.stem(x)                                        # (N, 64, H/4, W/4)
        x = self.stages(x)                                      # (N, 2048, H/32, W/32)
        return self.head(self.norm(x))                          # (N, num_classes)


@accepts_weights_keywords
def resnetv2_50(num_classes=1000, zero_init_last=False):
    """Pre-activation ResNet-50 (timm `resnetv2_50`): blocks (3, 4, 6, 3); 25,549,352
    parameters for 1000 classes."""
    return ResNetV2((3, 4, 6, 3), num_classes=num_classes, zero_init_last=zero_init_last)
