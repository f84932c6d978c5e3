"""BN-Inception / Inception-v2 (Ioffe & Szegedy, "Batch Normalization: Accelerating Deep
Network Training by Reducing Internal Covariate Shift", 2015, Fig. 5 of the appendix).

GoogLeNet's layout with BatchNorm after every convolution, each 5×5 conv replaced by two
stacked 3×3 convs (the "double 3×3" branch), average pooling in most modules, and the grid
reduced inside modules 3c and 4e (stride-2 convs beside a max-pool pass-through):

    conv1 7×7/2 64, maxpool 3×3/2             224 → 56
    conv2 1×1 64, conv3 3×3 192, maxpool      56 → 28
    inception 3a 3b (avg), 3c (stride 2)      28 → 14×14×576
    inception 4a 4b 4c 4d (avg), 4e (stride 2)       → 7×7×1056
    inception 5a (avg), 5b (max)                      → 7×7×1024
    global avg pool, fc 1024 → num_classes (no dropout, no auxiliary classifier)

Module outputs follow the table's branch widths (4c and 4d give 608 channels, 4e 1056, as in
the released Caffe model, where the table's "output size" column says 576 and 1024). BN eps is
0.001; convs have no bias. The stride-2 pass-through max pool is padded by 1 so that it keeps
step with the stride-2 convs at any input size (the network runs down to 9×9 input).
"""
from .. import nn
from ..nn import functional as F
from .inception_blocks import Mixed, conv, conv_branch
from .weights import accepts_weights_keywords

__all__ = ["BNInception", "inception_v2"]

# module: (in, #1×1, #3×3 reduce, #3×3, double #3×3 reduce, double #3×3, pool, pool proj);
# "pass" is the stride-2 max-pool pass-through of the reducing modules (#1×1 = 0 there)
MODULES = {
    "inception3a": (192, 64, 64, 64, 64, 96, "avg", 32),
    "inception3b": (256, 64, 64, 96, 64, 96, "avg", 64),
    "inception3c": (320, 0, 128, 160, 64, 96, "pass", 0),
    "inception4a": (576, 224, 64, 96, 96, 128, "avg", 128),
    "inception4b": (576, 192, 96, 128, 96, 128, "avg", 128),
    "inception4c": (576, 160, 128, 160, 128, 160, "avg", 128),
    "inception4d": (608, 96, 128, 192, 160, 192, "avg", 128),
    "inception4e": (608, 0, 128, 192, 192, 256, "pass", 0),
    "inception5a": (1056, 352, 192, 320, 160, 224, "avg", 128),
    "inception5b": (1024, 352, 192, 320, 192, 224, "max", 128),
}


def bn_inception_module(in_channels, ch1x1, ch3x3red, ch3x3, dbl3x3red, dbl3x3, pool,
                        pool_proj):
    """branch1 1×1; branch2 1×1 → 3×3; branch3 1×1 → 3×3 → 3×3; branch4 pool → 1×1. A "pass"
    module drops branch1, strides its last 3×3s by 2 and passes the max pool through."""
    stride = 2 if pool == "pass" else 1
    layers = {} if pool == "pass" else {"branch1": conv(in_channels, ch1x1, 1)}
    layers["branch2"] = conv_branch(in_channels, (ch3x3red, 1), (ch3x3, 3, stride, 1))
    layers["branch3"] = conv_branch(in_channels, (dbl3x3red, 1), (dbl3x3, 3),
                                    (dbl3x3, 3, stride, 1))
    if pool == "pass":
        layers["branch4"] = nn.MaxPool2d(3, stride=2, padding=1)
    else:
        pooling = nn.AvgPool2d(3, stride=1, padding=1) if pool == "avg" else \
            nn.MaxPool2d(3, stride=1, padding=1)
        layers["branch4"] = nn.Sequential(pooling, conv(in_channels, pool_proj, 1))
    return Mixed(layers)


class BNInception(nn.Module):
    """BN-Inception for (N, 3, H, W) input (224 native)."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.input_size = (3, 224, 224)
        self.conv1 = conv(3, 64, 7, stride=2)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv(64, 64, 1)
        self.conv3 = conv(64, 192, 3)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        for name, channels in MODULES.items():
            setattr(self, name, bn_inception_module(*channels))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.maxpool1(self.conv1(x))                           # (N, 64, 56, 56)
        x = self.maxpool2(self.conv3(self.conv2(x)))               # (N, 192, 28, 28)
        for name in MODULES:                    # 28×28×320 → 14×14×608 → 7×7×1024
            x = getattr(self, name)(x)
        return self.fc(F.flatten(self.avgpool(x), 1))              # (N, num_classes)


@accepts_weights_keywords
def inception_v2(num_classes=1000):
    """BN-Inception: 11,285,224 parameters for 1000 classes."""
    return BNInception(num_classes)
