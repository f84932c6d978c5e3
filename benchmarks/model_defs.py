"""The benchmark networks, each written once for either library.

Every builder takes `lib`, the module `torch` or `minicnn`, and assembles the network from
`lib.nn` alone, so both libraries build the identical architecture with identical
state_dict keys, and torch's initial weights load into the minicnn copy unchanged.
Modules with their own forward are written as plain classes and placed on top of
`lib.nn.Module` by `_module` (inside them, `self.lib` is the library).

    lenet5            LeCun et al., 1998 (ReLU and max-pool variant), 1×32×32
    resnet            He et al., 2015; torchvision's layout, with a 3×3 stride-1 stem and no
                      max-pool for 32×32 inputs (`cifar_stem=True`)
    vgg11_bn_cifar    Simonyan & Zisserman, 2014, configuration A with BatchNorm; 512 → classes
    mobilenet_v1      Howard et al., 2017; width multiplier, stride-1 stem for 32×32 inputs
    vit               Dosovitskiy et al., 2020; pre-norm encoder, class token, learnt positions
    alexnet           Krizhevsky et al., 2012, in torchvision's single-tower form
"""
import functools

RESNET18_BLOCKS = (2, 2, 2, 2)
RESNET50_BLOCKS = (3, 4, 6, 3)
VGG11_CHANNELS = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")
# (output channels, stride) of MobileNet-v1's 13 depthwise-separable blocks, before the width
MOBILENET_V1_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                       (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


@functools.cache
def _on_library(cls, lib):
    return type(cls.__name__, (cls, lib.nn.Module), {"lib": lib})


def _module(lib, cls, *args):
    """An instance of `cls` built on lib.nn.Module."""
    return _on_library(cls, lib)(*args)


def lenet5(lib, num_classes=10):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),       # (N, 6, 14, 14)
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),      # (N, 16, 5, 5)
        nn.Conv2d(16, 120, 5), nn.ReLU(), nn.Flatten(),       # (N, 120)
        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes))


def _downsample(nn, in_channels, out_channels, stride):
    """The 1×1 projection shortcut where a block changes the shape, else None."""
    if stride == 1 and in_channels == out_channels:
        return None
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                         nn.BatchNorm2d(out_channels))


class BasicBlock:
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), two 3×3 convolutions."""
    expansion = 1

    def __init__(self, in_channels, planes, stride):
        super().__init__()
        nn = self.lib.nn
        self.conv1 = nn.Conv2d(in_channels, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.downsample = _downsample(nn, in_channels, planes, stride)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class Bottleneck:
    """1×1 reduce, 3×3 (carrying the stride), 1×1 expand by 4, plus the shortcut."""
    expansion = 4

    def __init__(self, in_channels, planes, stride):
        super().__init__()
        nn = self.lib.nn
        out_channels = planes * self.expansion
        self.conv1 = nn.Conv2d(in_channels, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.downsample = _downsample(nn, in_channels, out_channels, stride)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class ResNet:
    """Stem, four stages of 64/128/256/512 planes (stages 2-4 halve the size), pool, fc."""

    def __init__(self, block, blocks_per_stage, num_classes, cifar_stem):
        super().__init__()
        nn = self.lib.nn
        if cifar_stem:                           # (N, 64, 32, 32) for 32×32 inputs
            self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        else:                                    # (N, 64, H/4, W/4)
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        channels = 64
        for index, (planes, count) in enumerate(zip((64, 128, 256, 512), blocks_per_stage)):
            stage = []
            for i in range(count):
                stride = 2 if index > 0 and i == 0 else 1
                stage.append(_module(self.lib, block, channels, planes, stride))
                channels = planes * block.expansion
            setattr(self, f"layer{index + 1}", nn.Sequential(*stage))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))             # (N, classes)


def resnet18_cifar(lib, num_classes=10):
    return _module(lib, ResNet, BasicBlock, RESNET18_BLOCKS, num_classes, True)


def resnet50(lib, num_classes=1000):
    return _module(lib, ResNet, Bottleneck, RESNET50_BLOCKS, num_classes, False)


def vgg11_bn_cifar(lib, num_classes=10):
    """Five 3×3 conv/BN/ReLU stages, each closed by a 2×2 max-pool: 32×32 → (N, 512, 1, 1)."""
    nn = lib.nn
    layers, channels = [], 3
    for width in VGG11_CHANNELS:
        if width == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
            channels = width
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels, num_classes))


def mobilenet_v1(lib, width=1.0, num_classes=1000, cifar_stem=False):
    """3×3 stem (stride 2, or 1 for 32×32 inputs), 13 depthwise 3×3 + pointwise 1×1 pairs,
    each followed by BN and ReLU, global average pool, fc."""
    nn = lib.nn

    def conv_bn_relu(in_channels, out_channels, kernel, stride, groups=1):
        return [nn.Conv2d(in_channels, out_channels, kernel, stride, kernel // 2, groups=groups,
                          bias=False), nn.BatchNorm2d(out_channels), nn.ReLU()]

    channels = int(32 * width)
    layers = conv_bn_relu(3, channels, 3, 1 if cifar_stem else 2)
    for out_channels, stride in MOBILENET_V1_BLOCKS:
        out_channels = int(out_channels * width)
        layers += conv_bn_relu(channels, channels, 3, stride, groups=channels)   # depthwise
        layers += conv_bn_relu(channels, out_channels, 1, 1)                     # pointwise
        channels = out_channels
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(channels, num_classes))


class Attention:
    """Multi-head self-attention: one qkv projection, scaled_dot_product_attention, proj."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = self.lib.nn.Linear(dim, 3 * dim)
        self.proj = self.lib.nn.Linear(dim, dim)

    def forward(self, x):                                      # (N, L, D)
        n, length, dim = x.shape
        qkv = self.qkv(x).reshape(n, length, 3, self.heads, dim // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)         # each (N, heads, L, D/heads)
        out = self.lib.nn.functional.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(n, length, dim))


class EncoderBlock:
    """x + attn(norm1(x)), then x + mlp(norm2(x)) with a GELU MLP."""

    def __init__(self, dim, heads, mlp_dim):
        super().__init__()
        nn = self.lib.nn
        self.norm1 = nn.LayerNorm(dim)
        self.attn = _module(self.lib, Attention, dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class VisionTransformer:
    """Patch embedding by a strided convolution, class token, learnt positions, encoder,
    final LayerNorm, linear head on the class token."""

    def __init__(self, image_size, patch, dim, depth, heads, mlp_dim, num_classes):
        super().__init__()
        nn = self.lib.nn
        tokens = (image_size // patch) ** 2 + 1
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(self.lib.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(0.02 * self.lib.randn(1, tokens, dim))
        self.blocks = nn.Sequential(*[_module(self.lib, EncoderBlock, dim, heads, mlp_dim)
                                      for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):                                      # (N, 3, H, W)
        x = self.patch_embed(x).flatten(2).transpose(1, 2)     # (N, HW/patch², D)
        cls = self.cls_token.expand(x.shape[0], -1, -1)        # (N, 1, D)
        x = self.lib.cat([cls, x], dim=1) + self.pos_embed     # (N, L, D)
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])                              # (N, classes)


def vit_tiny_cifar(lib, num_classes=10):
    """Patch 4 on 32×32 (65 tokens), dim 192, depth 6, 3 heads, MLP 768."""
    return _module(lib, VisionTransformer, 32, 4, 192, 6, 3, 768, num_classes)


def alexnet(lib, num_classes=1000):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2),     # (N, 64, 27, 27)
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),  # (N, 192, 13, 13)
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),  # (N, 256, 6, 6)
        nn.AdaptiveAvgPool2d(6), nn.Flatten(),
        nn.Dropout(), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, num_classes))
