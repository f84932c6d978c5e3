"""GoogLeNet / Inception-v1 (Szegedy et al., "Going Deeper with Convolutions", 2014) with
torchvision's constructor, arguments, state_dict keys and initialisation
(torchvision/models/googlenet.py): BatchNorm after every conv, as in torchvision's port.

    conv1 7×7/2 64, maxpool 3×3/2            224 → 56
    conv2 1×1 64, conv3 3×3 192, maxpool     56 → 28
    inception 3a, 3b, maxpool                28 → 14
    inception 4a (aux1) 4b 4c 4d (aux2) 4e, maxpool 2×2/2     14 → 7
    inception 5a, 5b, global avg pool, dropout 0.2, fc 1024 → num_classes

An Inception module concatenates four branches: 1×1; 1×1 → 3×3; 1×1 → "5×5"; 3×3 max pool →
1×1. torchvision's "5×5" branch is a 3×3 conv (pytorch/vision#906); variant="paper" builds the
true 5×5 (padding 2), with the same keys and 380,928 more parameters. Each auxiliary
classifier (training mode only): 4×4 adaptive avg pool, 1×1 conv 128, fc 1024, dropout 0.7, fc.
"""
from .. import nn
from ..nn import functional as F
from .inception_blocks import (BasicConv2d, Mixed, check_choice, check_probability, conv,
                               conv_branch, transform_input)
from .inception_outputs import GoogLeNetOutputs
from .weights import accepts_weights_keywords

__all__ = ["GoogLeNet", "googlenet"]

VARIANTS = ("torchvision", "paper")

# module: (in, #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj), Szegedy et al. table 1
MODULES = {
    "inception3a": (192, 64, 96, 128, 16, 32, 32),
    "inception3b": (256, 128, 128, 192, 32, 96, 64),
    "inception4a": (480, 192, 96, 208, 16, 48, 64),
    "inception4b": (512, 160, 112, 224, 24, 64, 64),
    "inception4c": (512, 128, 128, 256, 24, 64, 64),
    "inception4d": (512, 112, 144, 288, 32, 64, 64),
    "inception4e": (528, 256, 160, 320, 32, 128, 128),
    "inception5a": (832, 256, 160, 320, 32, 128, 128),
    "inception5b": (832, 384, 192, 384, 48, 128, 128),
}


def inception_module(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj,
                     kernel5x5=3):
    """The four-branch module; output channels ch1x1 + ch3x3 + ch5x5 + pool_proj."""
    return Mixed({
        "branch1": conv(in_channels, ch1x1, 1),
        "branch2": conv_branch(in_channels, (ch3x3red, 1), (ch3x3, 3)),
        "branch3": conv_branch(in_channels, (ch5x5red, 1), (ch5x5, kernel5x5)),
        "branch4": nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                 conv(in_channels, pool_proj, 1)),
    })


class InceptionAux(nn.Module):
    """Auxiliary classifier on a 4a / 4d output (N, C, 14, 14)."""

    def __init__(self, in_channels, num_classes, dropout=0.7):
        super().__init__()
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        x = self.conv(F.adaptive_avg_pool2d(x, (4, 4)))           # (N, 128, 4, 4)
        x = F.relu(self.fc1(F.flatten(x, 1)))                      # (N, 1024)
        return self.fc2(self.dropout(x))                           # (N, num_classes)


class GoogLeNet(nn.Module):
    """GoogLeNet for (N, 3, H, W) input, H and W ≥ 15 (224 native). Training mode with
    aux_logits returns GoogLeNetOutputs(logits, aux_logits2, aux_logits1), otherwise logits."""

    def __init__(self, num_classes=1000, aux_logits=True, transform_input=False,
                 init_weights=None, dropout=0.2, dropout_aux=0.7, variant="torchvision"):
        super().__init__()
        check_choice("GoogLeNet", "variant", variant, VARIANTS)
        check_probability("GoogLeNet", "dropout", dropout)
        check_probability("GoogLeNet", "dropout_aux", dropout_aux)
        self.variant = variant
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.input_size = (3, 224, 224)
        kernel5x5 = 5 if variant == "paper" else 3

        self.conv1 = conv(3, 64, 7, stride=2)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv(64, 64, 1)
        self.conv3 = conv(64, 192, 3)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        for name, channels in MODULES.items():
            setattr(self, name, inception_module(*channels, kernel5x5=kernel5x5))
            if name == "inception3b":
                self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
            elif name == "inception4e":
                self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        if aux_logits:
            self.aux1 = InceptionAux(512, num_classes, dropout=dropout_aux)
            self.aux2 = InceptionAux(528, num_classes, dropout=dropout_aux)
        else:
            self.aux1 = self.aux2 = None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)
        if init_weights is None or init_weights:
            self._init_weights()

    def _init_weights(self):
        """Conv and linear weights ~ N(0, 0.01²) truncated to [−2, 2]; BN weight 1, bias 0."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        if self.transform_input:
            x = transform_input(x)
        with_aux = self.training and self.aux_logits
        x = self.maxpool1(self.conv1(x))                           # (N, 64, 56, 56)
        x = self.maxpool2(self.conv3(self.conv2(x)))               # (N, 192, 28, 28)
        x = self.maxpool3(self.inception3b(self.inception3a(x)))   # (N, 480, 14, 14)
        x = self.inception4a(x)                                    # (N, 512, 14, 14)
        aux1 = self.aux1(x) if with_aux else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))  # (N, 528, 14, 14)
        aux2 = self.aux2(x) if with_aux else None
        x = self.maxpool4(self.inception4e(x))                     # (N, 832, 7, 7)
        x = self.inception5b(self.inception5a(x))                  # (N, 1024, 7, 7)
        x = self.dropout(F.flatten(self.avgpool(x), 1))            # (N, 1024)
        x = self.fc(x)                                             # (N, num_classes)
        return GoogLeNetOutputs(x, aux2, aux1) if with_aux else x


@accepts_weights_keywords
def googlenet(num_classes=1000, aux_logits=True, transform_input=False, init_weights=None,
              dropout=0.2, dropout_aux=0.7, variant="torchvision"):
    """GoogLeNet: 13,004,888 parameters with the auxiliary classifiers, 6,624,904 without
    (variant="paper": 13,385,816 / 7,005,832)."""
    return GoogLeNet(num_classes, aux_logits, transform_input, init_weights, dropout,
                     dropout_aux, variant)
