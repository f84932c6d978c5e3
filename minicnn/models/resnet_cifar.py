"""CIFAR-10 ResNets and their plain twins (He et al., "Deep Residual Learning for Image
Recognition", 2015, §4.2) for 32×32 inputs.

    conv1 3×3 16, bn1, relu                     32×32
    layer1  n BasicBlocks of 16 channels         32×32
    layer2  n BasicBlocks of 32 channels         16×16 (first block strides by 2)
    layer3  n BasicBlocks of 64 channels          8×8
    global average pooling, fc

depth = 6n + 2 (20, 32, 44, 56, 110, 1202 in the paper). Where a block changes the shape, the
shortcut is "option A": subsample by 2 and pad the extra channels with zeros, so the shortcuts
have no parameters and a plain network (`plain=True`, no shortcuts: the 20-vs-56-layer
degradation experiment of Fig. 1 and Fig. 6) has exactly the residual one's parameters:
269,722 for ResNet-20 and 853,018 for ResNet-56 with 10 classes. Weights start as in the
paper's [13] (He et al., 2015, "Delving Deep into Rectifiers"): N(0, 2 / fan_in) for convs.
"""
from .. import nn
from ..nn import functional as F
from .resnet import BasicBlock, conv3x3
from .weights import accepts_weights_keywords

__all__ = ["CifarResNet", "resnet_cifar"]

DEPTHS = (20, 32, 44, 56, 110, 1202)
WIDTHS = (16, 32, 64)


class ZeroPadShortcut(nn.Module):
    """Option-A shortcut: x[:, :, ::stride, ::stride] with zero channels appended up to
    `out_channels`; parameter-free."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]       # (N, C_in, H/stride, W/stride)
        return F.pad(x, (0, 0, 0, 0, 0, self.out_channels - self.in_channels))  # (N, C_out, ..)

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, stride={self.stride}"


class PlainBlock(BasicBlock):
    """BasicBlock without its shortcut: relu(bn2(conv2(relu(bn1(conv1(x))))))."""

    def forward(self, x):
        return self.relu(self.residual(x))


class CifarResNet(nn.Module):
    """The §4.2 network of `depth` = 6n + 2 layers for (N, 3, 32, 32) input."""

    def __init__(self, depth=20, plain=False, num_classes=10):
        super().__init__()
        if isinstance(depth, bool) or not isinstance(depth, int) or depth not in DEPTHS:
            raise ValueError(f"resnet_cifar: depth must be one of {DEPTHS} (6n + 2), got "
                             f"{depth!r}")
        blocks = (depth - 2) // 6
        block = PlainBlock if plain else BasicBlock
        self.depth = depth
        self.plain = plain
        self.input_size = (3, 32, 32)
        self.conv1 = conv3x3(3, WIDTHS[0])
        self.bn1 = nn.BatchNorm2d(WIDTHS[0])
        self.relu = nn.ReLU(inplace=True)
        stages, in_channels = [], WIDTHS[0]
        for index, width in enumerate(WIDTHS):
            stride = 1 if index == 0 else 2
            layers = []
            for b in range(blocks):
                shortcut = None
                if not plain and b == 0 and (stride != 1 or in_channels != width):
                    shortcut = ZeroPadShortcut(in_channels, width, stride)
                layers.append(block(in_channels, width, stride if b == 0 else 1, shortcut))
                in_channels = width
            stages.append(nn.Sequential(*layers))
        self.layer1, self.layer2, self.layer3 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(WIDTHS[-1], num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))          # (N, 16, 32, 32)
        x = self.layer1(x)                              # (N, 16, 32, 32)
        x = self.layer2(x)                              # (N, 32, 16, 16)
        x = self.layer3(x)                              # (N, 64, 8, 8)
        x = F.flatten(self.avgpool(x), 1)               # (N, 64)
        return self.fc(x)


@accepts_weights_keywords
def resnet_cifar(depth=20, plain=False, num_classes=10):
    """ResNet-`depth` for CIFAR-10 (option-A shortcuts), or its plain twin with `plain=True`."""
    return CifarResNet(depth, plain, num_classes)
