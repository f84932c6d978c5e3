"""AlexNet: torchvision's single-tower network and Krizhevsky et al. 2012's two-group original.

"torchvision" (`torchvision.models.alexnet`, after Krizhevsky 2014, "One weird trick"), for
224×224 input, 61,100,840 parameters:

    conv 11×11/4 pad 2, 64  → ReLU → max-pool 3×3/2     224 → 55 → 27
    conv 5×5 pad 2, 192     → ReLU → max-pool 3×3/2      27 → 13
    conv 3×3 pad 1, 384 → 256 → 256, ReLU each → pool    13 → 6
    dropout → FC 9216→4096 → ReLU → dropout → FC 4096→4096 → ReLU → FC 4096→classes

"paper" (Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional
Neural Networks", NIPS 2012, §3 and Fig. 2), for 227×227 input, 60,965,224 parameters:

    conv1 11×11/4, 96                 → ReLU → LRN → max-pool 3×3/2    227 → 55 → 27
    conv2 5×5 pad 2, 256, 2 groups    → ReLU → LRN → max-pool 3×3/2     27 → 13
    conv3 3×3 pad 1, 384 (all maps)   → ReLU                            13
    conv4 3×3 pad 1, 384, 2 groups    → ReLU                            13
    conv5 3×3 pad 1, 256, 2 groups    → ReLU → max-pool 3×3/2           13 → 6
    FC6 9216→4096 → ReLU → dropout → FC7 4096→4096 → ReLU → dropout → FC8 4096→classes

The two groups are the paper's two GPUs: conv2, conv4 and conv5 see only the maps on their
own GPU. LRN is `nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2)`. Mind the convention:
the paper (§3.3) writes b = a / (k + α Σ a²)^β with α = 1e-4, while PyTorch, Caffe and ONNX,
and this model by default, divide alpha by the window size, α / 5 = 2e-5: the sum's term is
five times smaller than the paper's. That default is what Caffe's reference AlexNet and the
weights ported from it were trained with; `lrn_convention="paper"` builds the paper's
(`nn.LocalResponseNorm(..., alpha_convention="paper")`). Dropout zeroes the outputs of the
two hidden FC layers. The paper's initialisation: every weight from N(0, 0.01²); biases 1 in
conv2, conv4, conv5 and the hidden FC layers, 0 elsewhere.

Both variants end their features with an adaptive 6×6 average pool (the identity at the native
size), so smaller inputs run too.
"""
from .. import nn
from .weights import accepts_weights_keywords

VARIANTS = ("torchvision", "paper")
LRN_CONVENTIONS = nn.LocalResponseNorm.CONVENTIONS      # ("pytorch", "paper")


def _torchvision_features():
    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),                        # (N, 64, 27, 27)
        nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),                        # (N, 192, 13, 13)
        nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),                        # (N, 256, 6, 6)
    )


def alexnet_lrn(convention="pytorch"):
    """The paper's local response normalisation: window 5, alpha 1e-4, beta 0.75, k 2, with
    alpha divided by the window size ("pytorch") or not ("paper", as the paper writes it)."""
    return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0, alpha_convention=convention)


def _paper_features(lrn_convention):
    return nn.Sequential(
        nn.Conv2d(3, 96, kernel_size=11, stride=4), nn.ReLU(inplace=True),
        alexnet_lrn(lrn_convention), nn.MaxPool2d(kernel_size=3, stride=2),  # (N, 96, 27, 27)
        nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=2), nn.ReLU(inplace=True),
        alexnet_lrn(lrn_convention), nn.MaxPool2d(kernel_size=3, stride=2),  # (N, 256, 13, 13)
        nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),                        # (N, 256, 6, 6)
    )


def _torchvision_classifier(num_classes, dropout):
    return nn.Sequential(
        nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
        nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, num_classes),
    )


def _paper_classifier(num_classes, dropout):
    return nn.Sequential(
        nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True), nn.Dropout(p=dropout),   # FC6
        nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(p=dropout),          # FC7
        nn.Linear(4096, num_classes),                                                 # FC8
    )


# initial biases of conv1 … conv5, FC6, FC7, FC8 in the paper (§5)
PAPER_BIASES = (0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0)


def _init_paper(model):
    """Weights ~ N(0, 0.01²); biases PAPER_BIASES."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    for layer, bias in zip(layers, PAPER_BIASES, strict=True):
        nn.init.normal_(layer.weight, 0.0, 0.01)
        nn.init.constant_(layer.bias, bias)


class AlexNet(nn.Module):
    def __init__(self, num_classes=1000, dropout=0.5, variant="torchvision",
                 lrn_convention="pytorch"):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"alexnet: variant must be one of {VARIANTS}, got {variant!r}")
        if lrn_convention not in LRN_CONVENTIONS:
            raise ValueError(f"alexnet: lrn_convention must be one of {LRN_CONVENTIONS}, got "
                             f"{lrn_convention!r}")
        if lrn_convention != "pytorch" and variant != "paper":
            raise ValueError(f"alexnet: lrn_convention={lrn_convention!r} needs "
                             f"variant='paper' (the {variant} variant has no LRN)")
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"alexnet: num_classes must be a positive integer, got "
                             f"{num_classes!r}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"alexnet: dropout must be in [0, 1], got {dropout!r}")
        self.variant = variant
        paper = variant == "paper"
        self.input_size = (3, 227, 227) if paper else (3, 224, 224)
        self.features = _paper_features(lrn_convention) if paper else _torchvision_features()
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = (_paper_classifier if paper else _torchvision_classifier)(
            num_classes, dropout)
        if paper:
            _init_paper(self)

    def forward(self, x):
        x = self.avgpool(self.features(x))         # (N, 256, 6, 6)
        return self.classifier(x.flatten(1))       # (N, num_classes)


@accepts_weights_keywords
def alexnet(num_classes=1000, dropout=0.5, variant="torchvision", lrn_convention="pytorch"):
    """AlexNet: torchvision's ("torchvision", 224×224 input) or the 2012 paper's ("paper",
    227×227 input, two groups, LRN). The LRN's alpha is divided by the window size, as in
    PyTorch and Caffe; lrn_convention="paper" takes it as the paper writes it."""
    return AlexNet(num_classes, dropout, variant, lrn_convention)
