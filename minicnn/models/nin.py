"""Network in Network (Lin, Chen & Yan, ICLR 2014, arXiv 1312.4400), the ImageNet model of the
Caffe model zoo, for 224×224 input: 7,595,176 parameters with 1,000 classes.

Four mlpconv blocks, each a spatial conv followed by two 1×1 convs ("cascaded cross-channel
parametric pooling"), ReLU after every conv; no fully-connected layer — the last 1×1 conv has
one map per class and global average pooling turns the maps into scores:

    mlpconv 11×11/4, 96 → 1×1 96 → 1×1 96           → max-pool 3×3/2     224 → 54 → 27
    mlpconv 5×5 pad 2, 256 → 1×1 256 → 1×1 256      → max-pool 3×3/2      27 → 13
    mlpconv 3×3 pad 1, 384 → 1×1 384 → 1×1 384     → max-pool 3×3/2 → dropout 0.5   13 → 6
    mlpconv 3×3 pad 1, 1024 → 1×1 1024 → 1×1 classes                      6
    global average pool → (N, classes)

The pools round up as Caffe's do (`ceil_mode=True`: 54 → 27 → 13 → 6). Weights are
Kaiming-normal (fan_in, ReLU), so that the twelve-conv stack without normalisation keeps its
activations' scale, except the last 1×1 conv (the class maps), which starts from N(0, 0.01²) as
classifier layers do, so that the first scores are near zero; biases 0.
"""
from .. import nn
from .weights import accepts_weights_keywords


def mlpconv(in_channels, out_channels, kernel_size, stride=1, padding=0, last_channels=None):
    """conv k×k → ReLU → conv 1×1 → ReLU → conv 1×1 (to last_channels, default out_channels)
    → ReLU."""
    last_channels = last_channels or out_channels
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 1), nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, last_channels, 1), nn.ReLU(inplace=True),
    )


def _pool():
    return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)


class NiN(nn.Module):
    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"nin: num_classes must be a positive integer, got {num_classes!r}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"nin: dropout must be in [0, 1], got {dropout!r}")
        self.input_size = (3, 224, 224)
        self.features = nn.Sequential(
            mlpconv(3, 96, 11, stride=4), _pool(),                    # (N, 96, 27, 27)
            mlpconv(96, 256, 5, padding=2), _pool(),                  # (N, 256, 13, 13)
            mlpconv(256, 384, 3, padding=1), _pool(),                 # (N, 384, 6, 6)
            nn.Dropout(p=dropout),
            mlpconv(384, 1024, 3, padding=1, last_channels=num_classes),  # (N, classes, 6, 6)
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
                nn.init.zeros_(module.bias)
        nn.init.normal_(self.features[-1][-2].weight, 0.0, 0.01)     # the class maps

    def forward(self, x):
        return self.avgpool(self.features(x)).flatten(1)   # (N, num_classes)


@accepts_weights_keywords
def nin(num_classes=1000, dropout=0.5):
    """Network in Network (ImageNet) for (N, 3, 224, 224) input; 7,595,176 parameters with
    1,000 classes."""
    return NiN(num_classes, dropout)
