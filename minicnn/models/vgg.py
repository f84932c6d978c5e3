"""VGG (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015, arXiv 1409.1556), with torchvision's constructors and state_dict keys.

One table holds the paper's Table 1 configurations; one builder turns a row into `features`:

    A      vgg11 (132,863,336 params)   8 conv + 3 FC
    A-LRN  vgg11_lrn (132,863,336)      A with LRN after the first conv's ReLU
    B      vgg13 (133,047,848)          10 conv + 3 FC
    C      vgg16_c (133,638,952)        B plus a 1×1 conv as the third conv of stages 3, 4, 5
    D      vgg16 (138,357,544)          C with those three 1×1 convs made 3×3
    E      vgg19 (143,667,240)          16 conv + 3 FC

Every 3×3 conv has padding 1 and is followed by ReLU (and BatchNorm before it in the `_bn`
versions, which torchvision adds); each stage ends in a 2×2/2 max-pool, so 224 → 7 after five
stages. Then an adaptive 7×7 average pool and the classifier FC 25088→4096 → ReLU → dropout →
FC 4096→4096 → ReLU → dropout → FC 4096→classes. The LRN of A-LRN is AlexNet's (size 5,
alpha 1e-4, beta 0.75, k 2). With init_weights, convs get Kaiming-normal (fan_out, ReLU)
weights, linears N(0, 0.01²), biases 0, as torchvision does.

`VGG.to_fully_convolutional()` is the paper's dense evaluation (§3.2): FC6 becomes a 7×7 conv,
FC7 and FC8 1×1 convs, so the net slides over any input of at least 224×224 and averages the
class-score map over space.
"""
import copy

from .. import nn
from .alexnet import alexnet_lrn
from .weights import accepts_weights_keywords

CONFIGS = {
    # int: 3×3 conv to that many maps; (maps, k): k×k conv; "M": 2×2/2 max-pool; "LRN": LRN
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "A-LRN": [64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, (256, 1), "M", 512, 512, (512, 1), "M",
          512, 512, (512, 1), "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}


def make_layers(config, batch_norm=False):
    """The `features` Sequential for one row of CONFIGS."""
    layers, in_channels = [], 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        elif item == "LRN":
            layers.append(alexnet_lrn())
        else:
            out_channels, kernel = item if isinstance(item, tuple) else (item, 3)
            layers.append(nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            layers.append(nn.ReLU(inplace=True))
            in_channels = out_channels
    return nn.Sequential(*layers)


def _classifier(layers, dropout):
    """FC6 → ReLU → dropout → FC7 → ReLU → dropout → FC8, from three (FC or conv) layers."""
    fc6, fc7, fc8 = layers
    return nn.Sequential(fc6, nn.ReLU(inplace=True), nn.Dropout(p=dropout),
                         fc7, nn.ReLU(inplace=True), nn.Dropout(p=dropout), fc8)


class VGG(nn.Module):
    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"VGG: num_classes must be a positive integer, got {num_classes!r}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"VGG: dropout must be in [0, 1], got {dropout!r}")
        self.input_size = (3, 224, 224)
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = _classifier(
            [nn.Linear(512 * 7 * 7, 4096), nn.Linear(4096, 4096), nn.Linear(4096, num_classes)],
            dropout)
        if init_weights:
            for module in self.modules():
                if isinstance(module, nn.Conv2d):
                    nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.zeros_(module.bias)
                elif isinstance(module, nn.BatchNorm2d):
                    nn.init.ones_(module.weight)
                    nn.init.zeros_(module.bias)
                elif isinstance(module, nn.Linear):
                    nn.init.normal_(module.weight, 0.0, 0.01)
                    nn.init.zeros_(module.bias)

    def forward(self, x):
        x = self.avgpool(self.features(x))         # (N, 512, 7, 7)
        return self.classifier(x.flatten(1))       # (N, num_classes)

    def to_fully_convolutional(self):
        """A FullyConvolutionalVGG with copies of this net's weights: FC6 (25088→4096) as a
        7×7 conv, FC7 and FC8 as 1×1 convs; the adaptive average pool is dropped."""
        linears = [m for m in self.classifier if isinstance(m, nn.Linear)]
        convs = []
        for linear, kernel in zip(linears, (7, 1, 1)):
            out_features, in_features = linear.weight.shape
            conv = nn.Conv2d(in_features // (kernel * kernel), out_features, kernel,
                             device=linear.weight.device, dtype=linear.weight.dtype)
            # Linear's input is the (C, 7, 7) map flattened in C, H, W order: the same layout
            conv.weight._data[...] = linear.weight._data.reshape(conv.weight.shape)
            conv.bias._data[...] = linear.bias._data
            convs.append(conv)
        dropout = next(m.p for m in self.classifier if isinstance(m, nn.Dropout))
        net = FullyConvolutionalVGG(copy.deepcopy(self.features), _classifier(convs, dropout))
        return net.train(self.training)


class FullyConvolutionalVGG(nn.Module):
    """VGG for dense evaluation (Simonyan & Zisserman §3.2): any input of at least 224×224.
    forward(x) returns the class scores averaged over the score map, (N, classes);
    score_map(x) the map itself, (N, classes, H/32 − 6, W/32 − 6)."""

    def __init__(self, features, classifier):
        super().__init__()
        self.input_size = (3, 224, 224)
        self.features = features
        self.classifier = classifier

    def score_map(self, x):
        return self.classifier(self.features(x))   # (N, classes, h, w)

    def forward(self, x):
        return self.score_map(x).mean(dim=(2, 3))  # (N, classes)


def _vgg(config, batch_norm, num_classes, init_weights, dropout):
    return VGG(make_layers(CONFIGS[config], batch_norm), num_classes, init_weights, dropout)


@accepts_weights_keywords
def vgg11(num_classes=1000, init_weights=True, dropout=0.5):
    """VGG-11, configuration A."""
    return _vgg("A", False, num_classes, init_weights, dropout)


@accepts_weights_keywords
def vgg11_bn(num_classes=1000, init_weights=True, dropout=0.5):
    """VGG-11 (A) with BatchNorm after every conv."""
    return _vgg("A", True, num_classes, init_weights, dropout)


@accepts_weights_keywords
def vgg11_lrn(num_classes=1000, init_weights=True, dropout=0.5):
    """VGG-11 with LRN after the first conv, configuration A-LRN."""
    return _vgg("A-LRN", False, num_classes, init_weights, dropout)


@accepts_weights_keywords
def vgg13(num_classes=1000, init_weights=True, dropout=0.5):
    """VGG-13, configuration B."""
    return _vgg("B", False, num_classes, init_weights, dropout)


@accepts_weights_keywords
def vgg13_bn(num_classes=1000, init_weights=True, dropout=0.5):
    """VGG-13 (B) with BatchNorm after every conv."""
    return _vgg("B", True, num_classes, init_weights, dropout)


@accepts_weights_keywords
def vgg16_c(num_classes=1000, init_weights=True, dropout=0.5):
    """VGG-16 with 1×1 third convs in stages 3, 4 and 5, configuration C."""
    return _vgg("C", False, num_classes, init_weights, dropout)


@accepts_weights_keywords
def vgg16(num_classes=1000, init_weights=True, dropout=0.5):
    """VGG-16, configuration D."""
    return _vgg("D", False, num_classes, init_weights, dropout)


@accepts_weights_keywords
def vgg16_bn(num_classes=1000, init_weights=True, dropout=0.5):
    """VGG-16 (D) with BatchNorm after every conv."""
    return _vgg("D", True, num_classes, init_weights, dropout)


@accepts_weights_keywords
def vgg19(num_classes=1000, init_weights=True, dropout=0.5):
    """VGG-19, configuration E."""
    return _vgg("E", False, num_classes, init_weights, dropout)


@accepts_weights_keywords
def vgg19_bn(num_classes=1000, init_weights=True, dropout=0.5):
    """VGG-19 (E) with BatchNorm after every conv."""
    return _vgg("E", True, num_classes, init_weights, dropout)
