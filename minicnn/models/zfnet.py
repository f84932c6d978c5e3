"""ZFNet (Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks", ECCV 2014,
arXiv 1311.2901, Fig. 3) for 224×224 input: 62,357,608 parameters with 1,000 classes.

    conv1 7×7/2 pad 1, 96   → ReLU → max-pool 3×3/2 → LRN    224 → 110 → 55
    conv2 5×5/2, 256        → ReLU → max-pool 3×3/2 → LRN     55 → 26 → 13
    conv3 3×3 pad 1, 384    → ReLU                            13
    conv4 3×3 pad 1, 384    → ReLU                            13
    conv5 3×3 pad 1, 256    → ReLU → max-pool 3×3/2           13 → 6
    FC6 9216→4096 → ReLU → dropout → FC7 4096→4096 → ReLU → dropout → FC8 4096→classes

It is AlexNet with a smaller, denser first layer (7×7/2 instead of 11×11/4) and full
connections in place of the two GPU groups. The pools round up as the paper's Caffe-era pools
did (`ceil_mode=True`), which gives the figure's 110 → 55, 26 → 13 and 13 → 6. The contrast
normalisation across feature maps is AlexNet's LRN (size 5, alpha 1e-4, beta 0.75, k 2).
Initialisation as in §3: weights 10⁻² (drawn from N(0, 0.01²)), biases 0. An adaptive 6×6
average pool (the identity at 224) lets smaller inputs run too.
"""
from .. import nn
from .alexnet import alexnet_lrn
from .weights import accepts_weights_keywords


def _pool():
    return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)


class ZFNet(nn.Module):
    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"zfnet: num_classes must be a positive integer, got {num_classes!r}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"zfnet: dropout must be in [0, 1], got {dropout!r}")
        self.input_size = (3, 224, 224)
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=7, stride=2, padding=1), nn.ReLU(inplace=True),
            _pool(), alexnet_lrn(),                                   # (N, 96, 55, 55)
            nn.Conv2d(96, 256, kernel_size=5, stride=2), nn.ReLU(inplace=True),
            _pool(), alexnet_lrn(),                                   # (N, 256, 13, 13)
            nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            _pool(),                                                  # (N, 256, 6, 6)
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(module.weight, 0.0, 0.01)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        x = self.avgpool(self.features(x))         # (N, 256, 6, 6)
        return self.classifier(x.flatten(1))       # (N, num_classes)


@accepts_weights_keywords
def zfnet(num_classes=1000, dropout=0.5):
    """ZFNet for (N, 3, 224, 224) input; 62,357,608 parameters with 1,000 classes."""
    return ZFNet(num_classes, dropout)
