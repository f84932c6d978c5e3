"""Inception-v3 (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision",
2015) with torchvision's constructor, arguments, state_dict keys and initialisation
(torchvision/models/inception.py).

    stem: 3×3/2 32, 3×3 32, 3×3 64, maxpool, 1×1 80, 3×3 192, maxpool      299 → 35
    Mixed_5b-5d  InceptionA (1×1; 1×1→5×5; 1×1→3×3→3×3; avg pool→1×1)     35×35×288
    Mixed_6a     InceptionB (grid reduction)                                 17×17×768
    Mixed_6b-6e  InceptionC (7×7 factorised into 1×7 and 7×1)               17×17×768
                 AuxLogits (training): avg pool 5×5/3, 1×1 128, 5×5 768, fc
    Mixed_7a     InceptionD (grid reduction)                                 8×8×1280
    Mixed_7b-7c  InceptionE (3×3 split into parallel 1×3 and 3×1)           8×8×2048
    global avg pool, dropout 0.5, fc

The average pools inside the modules count the zero padding (count_include_pad=True), as
torchvision's F.avg_pool2d does. Smallest input 75×75; in training mode with aux_logits,
299×299 (the auxiliary head's 5×5 conv needs Mixed_6e's 17×17 grid), as in torchvision.
"""
from .. import nn
from ..nn import functional as F
from .inception_blocks import Mixed, check_probability, conv, transform_input
from .inception_outputs import InceptionOutputs
from .weights import accepts_weights_keywords

__all__ = ["Inception3", "inception_v3"]


def inception_a(in_channels, pool_features):
    """35×35 module: 64 + 64 + 96 + pool_features channels."""
    return Mixed({
        "branch1x1": conv(in_channels, 64, 1),
        "branch5x5_1": conv(in_channels, 48, 1),
        "branch5x5_2": conv(48, 64, 5),
        "branch3x3dbl_1": conv(in_channels, 64, 1),
        "branch3x3dbl_2": conv(64, 96, 3),
        "branch3x3dbl_3": conv(96, 96, 3),
        "pool": nn.AvgPool2d(3, stride=1, padding=1),
        "branch_pool": conv(in_channels, pool_features, 1),
    }, "branch1x1", "branch5x5_1 branch5x5_2", "branch3x3dbl_1 branch3x3dbl_2 branch3x3dbl_3",
        "pool branch_pool")


def inception_b(in_channels):
    """35 → 17 reduction: 384 + 96 + in_channels channels."""
    return Mixed({
        "branch3x3": conv(in_channels, 384, 3, stride=2, padding="valid"),
        "branch3x3dbl_1": conv(in_channels, 64, 1),
        "branch3x3dbl_2": conv(64, 96, 3),
        "branch3x3dbl_3": conv(96, 96, 3, stride=2, padding="valid"),
        "pool": nn.MaxPool2d(3, stride=2),
    }, "branch3x3", "branch3x3dbl_1 branch3x3dbl_2 branch3x3dbl_3", "pool")


def inception_c(in_channels, channels_7x7):
    """17×17 module with factorised 7×7 convs: 4 × 192 channels."""
    c7 = channels_7x7
    return Mixed({
        "branch1x1": conv(in_channels, 192, 1),
        "branch7x7_1": conv(in_channels, c7, 1),
        "branch7x7_2": conv(c7, c7, (1, 7)),
        "branch7x7_3": conv(c7, 192, (7, 1)),
        "branch7x7dbl_1": conv(in_channels, c7, 1),
        "branch7x7dbl_2": conv(c7, c7, (7, 1)),
        "branch7x7dbl_3": conv(c7, c7, (1, 7)),
        "branch7x7dbl_4": conv(c7, c7, (7, 1)),
        "branch7x7dbl_5": conv(c7, 192, (1, 7)),
        "pool": nn.AvgPool2d(3, stride=1, padding=1),
        "branch_pool": conv(in_channels, 192, 1),
    }, "branch1x1", "branch7x7_1 branch7x7_2 branch7x7_3",
        "branch7x7dbl_1 branch7x7dbl_2 branch7x7dbl_3 branch7x7dbl_4 branch7x7dbl_5",
        "pool branch_pool")


def inception_d(in_channels):
    """17 → 8 reduction: 320 + 192 + in_channels channels."""
    return Mixed({
        "branch3x3_1": conv(in_channels, 192, 1),
        "branch3x3_2": conv(192, 320, 3, stride=2, padding="valid"),
        "branch7x7x3_1": conv(in_channels, 192, 1),
        "branch7x7x3_2": conv(192, 192, (1, 7)),
        "branch7x7x3_3": conv(192, 192, (7, 1)),
        "branch7x7x3_4": conv(192, 192, 3, stride=2, padding="valid"),
        "pool": nn.MaxPool2d(3, stride=2),
    }, "branch3x3_1 branch3x3_2",
        "branch7x7x3_1 branch7x7x3_2 branch7x7x3_3 branch7x7x3_4", "pool")


def inception_e(in_channels):
    """8×8 module with the 3×3s split into parallel 1×3 and 3×1: 2048 channels."""
    return Mixed({
        "branch1x1": conv(in_channels, 320, 1),
        "branch3x3_1": conv(in_channels, 384, 1),
        "branch3x3_2a": conv(384, 384, (1, 3)),
        "branch3x3_2b": conv(384, 384, (3, 1)),
        "branch3x3dbl_1": conv(in_channels, 448, 1),
        "branch3x3dbl_2": conv(448, 384, 3),
        "branch3x3dbl_3a": conv(384, 384, (1, 3)),
        "branch3x3dbl_3b": conv(384, 384, (3, 1)),
        "pool": nn.AvgPool2d(3, stride=1, padding=1),
        "branch_pool": conv(in_channels, 192, 1),
    }, "branch1x1", "branch3x3_1 branch3x3_2a|branch3x3_2b",
        "branch3x3dbl_1 branch3x3dbl_2 branch3x3dbl_3a|branch3x3dbl_3b", "pool branch_pool")


class InceptionAux(nn.Module):
    """Auxiliary classifier on the Mixed_6e output (N, 768, 17, 17)."""

    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.conv0 = conv(in_channels, 128, 1)
        self.conv1 = conv(128, 768, 5, padding="valid")
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x):
        x = self.conv0(F.avg_pool2d(x, kernel_size=5, stride=3))  # (N, 128, 5, 5)
        x = F.adaptive_avg_pool2d(self.conv1(x), (1, 1))           # (N, 768, 1, 1)
        return self.fc(F.flatten(x, 1))                            # (N, num_classes)


# name: (builder, its arguments after in_channels, output channels)
MIXED = {
    "Mixed_5b": (inception_a, (32,), 256),
    "Mixed_5c": (inception_a, (64,), 288),
    "Mixed_5d": (inception_a, (64,), 288),
    "Mixed_6a": (inception_b, (), 768),
    "Mixed_6b": (inception_c, (128,), 768),
    "Mixed_6c": (inception_c, (160,), 768),
    "Mixed_6d": (inception_c, (160,), 768),
    "Mixed_6e": (inception_c, (192,), 768),
    "Mixed_7a": (inception_d, (), 1280),
    "Mixed_7b": (inception_e, (), 2048),
    "Mixed_7c": (inception_e, (), 2048),
}


class Inception3(nn.Module):
    """Inception-v3 for (N, 3, H, W) input, H and W ≥ 75 (299 native). Training mode with
    aux_logits returns InceptionOutputs(logits, aux_logits), otherwise the logits."""

    def __init__(self, num_classes=1000, aux_logits=True, transform_input=False,
                 init_weights=None, dropout=0.5):
        super().__init__()
        check_probability("Inception3", "dropout", dropout)
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.input_size = (3, 299, 299)
        self.Conv2d_1a_3x3 = conv(3, 32, 3, stride=2, padding="valid")
        self.Conv2d_2a_3x3 = conv(32, 32, 3, padding="valid")
        self.Conv2d_2b_3x3 = conv(32, 64, 3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2)
        self.Conv2d_3b_1x1 = conv(64, 80, 1)
        self.Conv2d_4a_3x3 = conv(80, 192, 3, padding="valid")
        self.maxpool2 = nn.MaxPool2d(3, stride=2)
        in_channels = 192
        for name, (builder, args, out_channels) in MIXED.items():
            setattr(self, name, builder(in_channels, *args))
            in_channels = out_channels
        self.AuxLogits = InceptionAux(768, num_classes) if aux_logits else None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(2048, num_classes)
        if init_weights is None or init_weights:
            self._init_weights()

    def _init_weights(self):
        """Conv and linear weights ~ N(0, 0.1²) truncated to [−2, 2], the auxiliary fc
        N(0, 0.001²); BN weight 1, bias 0 (torchvision's stddev attributes)."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                std = 0.001 if self.AuxLogits is not None and m is self.AuxLogits.fc else 0.1
                nn.init.trunc_normal_(m.weight, mean=0.0, std=std, a=-2, b=2)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        if self.transform_input:
            x = transform_input(x)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))  # (N, 64, 147, 147)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(self.maxpool1(x)))       # (N, 192, 71, 71)
        x = self.maxpool2(x)                                                # (N, 192, 35, 35)
        aux = None
        for name in MIXED:                      # 35×35×288 → 17×17×768 → 8×8×2048
            x = getattr(self, name)(x)
            if name == "Mixed_6e" and self.training and self.AuxLogits is not None:
                aux = self.AuxLogits(x)
        x = self.dropout(self.avgpool(x))                                   # (N, 2048, 1, 1)
        x = self.fc(F.flatten(x, 1))                                        # (N, num_classes)
        return InceptionOutputs(x, aux) if self.training and self.aux_logits else x


@accepts_weights_keywords
def inception_v3(num_classes=1000, aux_logits=True, transform_input=False, init_weights=None,
                 dropout=0.5):
    """Inception-v3: 27,161,264 parameters with the auxiliary classifier, 23,834,568 without."""
    return Inception3(num_classes, aux_logits, transform_input, init_weights, dropout)
