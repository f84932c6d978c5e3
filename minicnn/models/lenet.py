"""LeNet-5 (LeCun et al., 1998) for 32×32 inputs.

    C1 conv 5×5, 6 maps      (156 params)   32×32 → 28×28
    S2 2×2 pooling                          28×28 → 14×14
    C3 conv 5×5, 16 maps   (2,416 params)   14×14 → 10×10
    S4 2×2 pooling                          10×10 → 5×5
    C5 conv 5×5, 120 maps (48,120 params)     5×5 → 1×1
    F6 linear 84          (10,164 params)
    output linear 10         (850 params)

"classic" uses tanh and average pooling as the paper's network does (with a full C3
connection table and a plain linear output instead of RBF units); "modern" uses ReLU
and max pooling. Both have 61,706 parameters for 10 classes and one input channel.
"""
from .. import nn
from .weights import accepts_weights_keywords

VARIANTS = ("modern", "classic")


class LeNet5(nn.Module):
    def __init__(self, variant="modern", num_classes=10, in_channels=1):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"lenet5: variant must be one of {VARIANTS}, got {variant!r}")
        act = nn.ReLU if variant == "modern" else nn.Tanh
        pool = nn.MaxPool2d if variant == "modern" else nn.AvgPool2d
        self.variant = variant
        self.input_size = (in_channels, 32, 32)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5), act(), pool(2),      # C1, S2: (N, 6, 14, 14)
            nn.Conv2d(6, 16, 5), act(), pool(2),               # C3, S4: (N, 16, 5, 5)
            nn.Conv2d(16, 120, 5), act(),                      # C5:     (N, 120, 1, 1)
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(120, 84), act(),                         # F6
            nn.Linear(84, num_classes),                        # output
        )

    def forward(self, x):
        return self.classifier(self.features(x))


@accepts_weights_keywords
def lenet5(variant="modern", num_classes=10, in_channels=1):
    """LeNet-5 for (N, in_channels, 32, 32) inputs."""
    return LeNet5(variant, num_classes, in_channels)
