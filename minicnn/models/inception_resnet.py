"""Inception-ResNet-v1 and -v2 (Szegedy et al., "Inception-v4, Inception-ResNet and the Impact
of Residual Connections on Learning", 2016): one module family, two configurations. -v2 has
timm's constructor, state_dict keys and layout (timm/models/inception_resnet_v2.py); -v1 uses
the same names.

    conv2d_1a 3×3/2 32, conv2d_2a 3×3 32, conv2d_2b 3×3 64, maxpool_3a 3×3/2,
    conv2d_3b 1×1 80, conv2d_4a 3×3 192                                299 → 71×71×192
    stem tail   v1: conv2d_4b 3×3/2 256 (Fig. 14)                       → 35×35×256
                v2: maxpool_5a, mixed_5b (four branches, timm)          → 35×35×320
    repeat      Inception-ResNet-A × (5 | 10)       scale 0.17
    mixed_6a    Reduction-A (Fig. 7; k, l, m, n = 192, 192, 256, 384 | 256, 256, 384, 384)
    repeat_1    Inception-ResNet-B × (10 | 20)      scale 0.10         17×17×(896 | 1088)
    mixed_7a    Reduction-B (Fig. 12 | Fig. 18)                         8×8×(1792 | 2080)
    repeat_2    Inception-ResNet-C × (4 | 9)        scale 0.20
    block8      the last Inception-ResNet-C: scale 1, no ReLU
    v2 only: conv2d_7b 1×1 1536
    global_pool (avg), head_drop (v1: dropout 0.2, the paper's keep probability 0.8), classif

Each residual block is relu(x + scale · conv2d(concat(branches(x)))), conv2d a 1×1 linear conv
with bias back to the block's width. -v1 follows the paper's block counts (5, 10, 5) and
widths (Fig. 10, 11, 13); -v2 follows timm (10, 20, 10 blocks, as the TensorFlow release).
Smallest input 75×75.
"""
from .. import nn
from ..nn import functional as F
from .inception_blocks import (Mixed, avg_pool_branch, check_choice, check_probability, conv,
                               conv_branch, reduction_block)
from .weights import accepts_weights_keywords

__all__ = ["InceptionResNet", "inception_resnet_v1", "inception_resnet_v2"]

# kernel of each conv along a branch, by block kind (A: 35×35, B: 17×17, C: 8×8)
KERNELS = {"a": (1, 3, 3), "b": (1, (1, 7), (7, 1)), "c": (1, (1, 3), (3, 1))}
SCALES = {"a": 0.17, "b": 0.10, "c": 0.20}


class InceptionResNetBlock(Mixed):
    """relu?(x + scale · conv2d(concat(branch0(x), branch1(x), …))): Block35 / Block17 /
    Block8 of timm, Inception-ResNet-A / B / C of the paper."""

    def __init__(self, channels, branch_widths, kernels, scale=1.0, relu=True):
        super().__init__({f"branch{i}": conv_branch(channels, *zip(widths, kernels))
                          for i, widths in enumerate(branch_widths)})
        self.conv2d = nn.Conv2d(sum(widths[-1] for widths in branch_widths), channels, 1)
        self.scale = scale
        self.relu = relu

    def forward(self, x):
        out = self.conv2d(super().forward(x)) * self.scale + x     # (N, channels, H, W)
        return F.relu(out) if self.relu else out

    def extra_repr(self):
        return f"scale={self.scale}, relu={self.relu}"


def _stem_tail_v1():
    """Fig. 14's last conv: 71×71×192 → 35×35×256."""
    return {"conv2d_4b": conv(192, 256, 3, stride=2, padding="valid")}, 256


def _stem_tail_v2():
    """timm's max pool and Mixed_5b: 71×71×192 → 35×35×320."""
    return {"maxpool_5a": nn.MaxPool2d(3, stride=2),
            "mixed_5b": Mixed({
                "branch0": conv(192, 96, 1),
                "branch1": conv_branch(192, (48, 1), (64, 5)),
                "branch2": conv_branch(192, (64, 1), (96, 3), (96, 3)),
                "branch3": avg_pool_branch(192, 64),
            })}, 320


# blocks: residual blocks per grid size; branches: widths along each branch of A, B, C blocks;
# reduction_a/b: widths along the conv branches of mixed_6a / mixed_7a; head_conv: conv2d_7b
CONFIGS = {
    "inception_resnet_v1": dict(
        stem_tail=_stem_tail_v1, blocks=(5, 10, 5),
        branches={"a": ((32,), (32, 32), (32, 32, 32)), "b": ((128,), (128, 128, 128)),
                  "c": ((192,), (192, 192, 192))},
        reduction_a=((384,), (192, 192, 256)),
        reduction_b=((256, 384), (256, 256), (256, 256, 256)), head_conv=None),
    "inception_resnet_v2": dict(
        stem_tail=_stem_tail_v2, blocks=(10, 20, 10),
        branches={"a": ((32,), (32, 32), (32, 48, 64)), "b": ((192,), (128, 160, 192)),
                  "c": ((192,), (192, 224, 256))},
        reduction_a=((384,), (256, 256, 384)),
        reduction_b=((256, 384), (256, 288), (256, 288, 320)), head_conv=1536),
}


class InceptionResNet(nn.Module):
    """Inception-ResNet for (N, in_chans, H, W) input, H and W ≥ 75 (299 native), built from a
    CONFIGS entry; timm's arguments num_classes, in_chans, drop_rate."""

    def __init__(self, config, num_classes=1000, in_chans=3, drop_rate=0.0):
        super().__init__()
        check_choice("InceptionResNet", "config", config, tuple(CONFIGS))
        check_probability("InceptionResNet", "drop_rate", drop_rate)
        cfg = CONFIGS[config]
        self.config = config
        self.num_classes = num_classes
        self.input_size = (in_chans, 299, 299)
        layers = {
            "conv2d_1a": conv(in_chans, 32, 3, stride=2, padding="valid"),
            "conv2d_2a": conv(32, 32, 3, padding="valid"),
            "conv2d_2b": conv(32, 64, 3),
            "maxpool_3a": nn.MaxPool2d(3, stride=2),
            "conv2d_3b": conv(64, 80, 1),
            "conv2d_4a": conv(80, 192, 3, padding="valid"),
        }
        tail, channels = cfg["stem_tail"]()
        layers.update(tail)
        blocks_a, blocks_b, blocks_c = cfg["blocks"]
        layers["repeat"] = self._blocks("a", channels, blocks_a, cfg["branches"])
        layers["mixed_6a"] = reduction_block(channels, *cfg["reduction_a"])
        channels += sum(widths[-1] for widths in cfg["reduction_a"])
        layers["repeat_1"] = self._blocks("b", channels, blocks_b, cfg["branches"])
        layers["mixed_7a"] = reduction_block(channels, *cfg["reduction_b"])
        channels += sum(widths[-1] for widths in cfg["reduction_b"])
        layers["repeat_2"] = self._blocks("c", channels, blocks_c - 1, cfg["branches"])
        layers["block8"] = InceptionResNetBlock(channels, cfg["branches"]["c"], KERNELS["c"],
                                                relu=False)
        if cfg["head_conv"]:
            layers["conv2d_7b"] = conv(channels, cfg["head_conv"], 1)
            channels = cfg["head_conv"]
        for name, layer in layers.items():
            self.add_module(name, layer)
        self.layer_names = tuple(layers)
        self.num_features = channels
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.head_drop = nn.Dropout(drop_rate)
        self.classif = nn.Linear(channels, num_classes)

    @staticmethod
    def _blocks(kind, channels, count, branches):
        return nn.Sequential(*[InceptionResNetBlock(channels, branches[kind], KERNELS[kind],
                                                    SCALES[kind]) for _ in range(count)])

    def forward(self, x):
        for name in self.layer_names:         # 35×35 → 17×17 → 8×8 grids
            x = self._modules[name](x)
        x = self.head_drop(F.flatten(self.global_pool(x), 1))     # (N, num_features)
        return self.classif(x)                                     # (N, num_classes)


@accepts_weights_keywords
def inception_resnet_v1(num_classes=1000, in_chans=3, drop_rate=0.2):
    """Inception-ResNet-v1 (the paper's Fig. 14 stem, 5/10/5 blocks, 1792 features)."""
    return InceptionResNet("inception_resnet_v1", num_classes, in_chans, drop_rate)


@accepts_weights_keywords
def inception_resnet_v2(num_classes=1000, in_chans=3, drop_rate=0.0):
    """Inception-ResNet-v2 (timm): 55,843,464 parameters for 1000 classes."""
    return InceptionResNet("inception_resnet_v2", num_classes, in_chans, drop_rate)
