"""Inception-v4 (Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of Residual
Connections on Learning", 2016, Fig. 9) with timm's constructor, state_dict keys and layout
(timm/models/inception_v4.py): every conv is conv → BN (eps 0.001) → ReLU, the average pools
inside the modules ignore the zero padding (count_include_pad=False).

    features.0-2  3×3/2 32, 3×3 32, 3×3 64                 299 → 147
    features.3    Mixed3a: maxpool ‖ 3×3/2 96               → 73×73×160
    features.4    Mixed4a: two conv branches (1×7, 7×1)     → 71×71×192
    features.5    Mixed5a: 3×3/2 192 ‖ maxpool              → 35×35×384
    features.6-9   4 × Inception-A                          35×35×384
    features.10   Reduction-A (k, l, m, n = 192, 224, 256, 384)   → 17×17×1024
    features.11-17 7 × Inception-B                          17×17×1024
    features.18   Reduction-B                               → 8×8×1536
    features.19-21 3 × Inception-C                          8×8×1536
    global_pool (avg), head_drop, last_linear

Smallest input 75×75.
"""
from .. import nn
from ..nn import functional as F
from .inception_blocks import (Mixed, avg_pool_branch, check_probability, conv, conv_branch,
                               reduction_block)
from .weights import accepts_weights_keywords

__all__ = ["InceptionV4", "inception_v4"]


def stem(in_chans=3):
    """Fig. 3: 299×299×in_chans → 35×35×384 (features.0 to features.5)."""
    return [
        conv(in_chans, 32, 3, stride=2, padding="valid"),
        conv(32, 32, 3, padding="valid"),
        conv(32, 64, 3),
        Mixed({"maxpool": nn.MaxPool2d(3, stride=2),
               "conv": conv(64, 96, 3, stride=2, padding="valid")}),
        Mixed({"branch0": conv_branch(160, (64, 1), (96, 3, 1, "valid")),
               "branch1": conv_branch(160, (64, 1), (64, (1, 7)), (64, (7, 1)),
                                      (96, 3, 1, "valid"))}),
        Mixed({"conv": conv(192, 192, 3, stride=2, padding="valid"),
               "maxpool": nn.MaxPool2d(3, stride=2)}),
    ]


def inception_a():
    """Fig. 4, 35×35: 4 × 96 channels."""
    return Mixed({
        "branch0": conv(384, 96, 1),
        "branch1": conv_branch(384, (64, 1), (96, 3)),
        "branch2": conv_branch(384, (64, 1), (96, 3), (96, 3)),
        "branch3": avg_pool_branch(384, 96),
    })


def inception_b():
    """Fig. 5, 17×17: 384 + 256 + 256 + 128 channels."""
    return Mixed({
        "branch0": conv(1024, 384, 1),
        "branch1": conv_branch(1024, (192, 1), (224, (1, 7)), (256, (7, 1))),
        "branch2": conv_branch(1024, (192, 1), (192, (7, 1)), (224, (1, 7)), (224, (7, 1)),
                               (256, (1, 7))),
        "branch3": avg_pool_branch(1024, 128),
    })


def reduction_b():
    """Fig. 8, 17 → 8: 192 + 320 + 1024 channels."""
    return Mixed({
        "branch0": conv_branch(1024, (192, 1), (192, 3, 2, "valid")),
        "branch1": conv_branch(1024, (256, 1), (256, (1, 7)), (320, (7, 1)),
                               (320, 3, 2, "valid")),
        "branch2": nn.MaxPool2d(3, stride=2),
    })


def inception_c():
    """Fig. 6, 8×8, with forks into parallel 1×3 and 3×1 convs: 6 × 256 channels."""
    return Mixed({
        "branch0": conv(1536, 256, 1),
        "branch1_0": conv(1536, 384, 1),
        "branch1_1a": conv(384, 256, (1, 3)),
        "branch1_1b": conv(384, 256, (3, 1)),
        "branch2_0": conv(1536, 384, 1),
        "branch2_1": conv(384, 448, (3, 1)),
        "branch2_2": conv(448, 512, (1, 3)),
        "branch2_3a": conv(512, 256, (1, 3)),
        "branch2_3b": conv(512, 256, (3, 1)),
        "branch3": avg_pool_branch(1536, 256),
    }, "branch0", "branch1_0 branch1_1a|branch1_1b",
        "branch2_0 branch2_1 branch2_2 branch2_3a|branch2_3b", "branch3")


class InceptionV4(nn.Module):
    """Inception-v4 for (N, in_chans, H, W) input, H and W ≥ 75 (299 native); timm's
    arguments num_classes, in_chans, drop_rate."""

    def __init__(self, num_classes=1000, in_chans=3, drop_rate=0.0):
        super().__init__()
        check_probability("InceptionV4", "drop_rate", drop_rate)
        self.num_classes = num_classes
        self.num_features = 1536
        self.input_size = (in_chans, 299, 299)
        layers = stem(in_chans)
        layers += [inception_a() for _ in range(4)]
        layers.append(reduction_block(384, (384,), (192, 224, 256)))
        layers += [inception_b() for _ in range(7)]
        layers.append(reduction_b())
        layers += [inception_c() for _ in range(3)]
        self.features = nn.Sequential(*layers)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.head_drop = nn.Dropout(drop_rate)
        self.last_linear = nn.Linear(self.num_features, num_classes)

    def forward(self, x):
        x = self.features(x)                                       # (N, 1536, 8, 8)
        x = self.head_drop(F.flatten(self.global_pool(x), 1))      # (N, 1536)
        return self.last_linear(x)                                 # (N, num_classes)


@accepts_weights_keywords
def inception_v4(num_classes=1000, in_chans=3, drop_rate=0.0):
    """Inception-v4: 42,679,816 parameters for 1000 classes."""
    return InceptionV4(num_classes, in_chans, drop_rate)
