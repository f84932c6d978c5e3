"""The benchmark networks, each written once for either library.

Every builder takes `lib`, the module `torch` or `minicnn`, and assembles the network from
`lib.nn` alone, so both libraries build the identical architecture with identical
state_dict keys, and torch's initial weights load into the minicnn copy unchanged.
Modules with their own forward are written as plain classes and placed on top of
`lib.nn.Module` by `_module` (inside them, `self.lib` is the library).

    lenet5            LeCun et al., 1998 (ReLU and max-pool variant), 1×32×32
    resnet            He et al., 2015; torchvision's layout, with a 3×3 stride-1 stem and no
                      max-pool for 32×32 inputs (`cifar_stem=True`)
    vgg               Simonyan & Zisserman, 2014; torchvision's layout (features, 7×7 average
                      pool, 25088 → 4096 → 4096 → classes): vgg16 is configuration D without
                      BatchNorm; vgg11_bn_cifar is configuration A with BatchNorm and one
                      linear layer on the 1×1 map of a 32×32 input
    densenet          Huang et al., 2016; torchvision's layout: densenet121 is growth 32, blocks
                      (6, 12, 24, 16), bottlenecks of 4 × growth, 64 stem channels
    mobilenet_v1      Howard et al., 2017; width multiplier, stride-1 stem for 32×32 inputs
    vit               Dosovitskiy et al., 2020; pre-norm encoder, class token, learnt positions:
                      vit_tiny_cifar, and vit_b16 (ViT-B/16) for any image size
    alexnet           Krizhevsky et al., 2012, in torchvision's single-tower form

vgg16, densenet121 and vit_b16 have torchvision's parameter counts (vgg16, densenet121,
vit_b_16).
"""
import functools
from collections import OrderedDict

RESNET18_BLOCKS = (2, 2, 2, 2)
RESNET50_BLOCKS = (3, 4, 6, 3)
# VGG's 3×3 convolution widths, "M" a 2×2 max-pool: configurations A (VGG-11) and D (VGG-16)
VGG11_CHANNELS = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")
VGG16_CHANNELS = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
                  512, 512, 512, "M")
VGG_HIDDEN = 4096
VGG_POOL = 7
DENSENET121_BLOCKS = (6, 12, 24, 16)
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


def _vgg_init(nn, model):
    """torchvision's VGG initialisation: convolutions Kaiming-normal (fan_out, ReLU), linear
    layers N(0, 0.01), biases zero. Under the libraries' default one, sixteen layers without
    BatchNorm shrink the signal until the logits hardly depend on the input."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.zeros_(m.bias)
    return model


def vgg(lib, channels, batch_norm, num_classes, imagenet_head=True):
    """3×3 convolutions (padding 1) of the widths in `channels`, each followed by BatchNorm
    (with `batch_norm`) and ReLU, and 2×2 max-pools where `channels` says "M", as
    `features`; then, with `imagenet_head`, torchvision's head: an adaptive average pool to
    7×7 and the classifier 25088 → 4096 → 4096 → classes with ReLU and Dropout; without it,
    the final map (1×1 for a 32×32 input) flattened into one linear layer. Initialised as
    torchvision initialises VGG."""
    nn = lib.nn
    layers, width = [], 3
    for out in channels:
        if out == "M":
            layers.append(nn.MaxPool2d(2))
            continue
        layers.append(nn.Conv2d(width, out, 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out))
        layers.append(nn.ReLU())
        width = out
    if imagenet_head:
        head = OrderedDict(avgpool=nn.AdaptiveAvgPool2d(VGG_POOL), flatten=nn.Flatten(),
                           classifier=nn.Sequential(
                               nn.Linear(width * VGG_POOL * VGG_POOL, VGG_HIDDEN), nn.ReLU(),
                               nn.Dropout(), nn.Linear(VGG_HIDDEN, VGG_HIDDEN), nn.ReLU(),
                               nn.Dropout(), nn.Linear(VGG_HIDDEN, num_classes)))
    else:
        head = OrderedDict(flatten=nn.Flatten(), classifier=nn.Linear(width, num_classes))
    return _vgg_init(nn, nn.Sequential(OrderedDict(features=nn.Sequential(*layers), **head)))


def vgg11_bn_cifar(lib, num_classes=10):
    """Configuration A with BatchNorm: five stages, 32×32 → (N, 512, 1, 1), 512 → classes."""
    return vgg(lib, VGG11_CHANNELS, True, num_classes, imagenet_head=False)


def vgg16(lib, num_classes=1000):
    """Configuration D, no BatchNorm, torchvision's head: 224×224 → (N, 512, 7, 7)."""
    return vgg(lib, VGG16_CHANNELS, False, num_classes)


class DenseLayer:
    """BN-ReLU-1×1 conv to bn_size·growth channels, BN-ReLU-3×3 conv to `growth` new ones,
    on the concatenation of the block's input and every earlier layer's output."""

    def __init__(self, in_channels, growth, bn_size):
        super().__init__()
        nn = self.lib.nn
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(in_channels, bn_size * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

    def forward(self, features):                               # list of (N, *, H, W)
        x = self.conv1(self.relu1(self.norm1(self.lib.cat(features, 1))))
        return self.conv2(self.relu2(self.norm2(x)))           # (N, growth, H, W)


class DenseBlock:
    """`layers` DenseLayers, each adding `growth` channels: in_channels + layers·growth out."""

    def __init__(self, layers, in_channels, growth, bn_size):
        super().__init__()
        for i in range(layers):
            setattr(self, f"denselayer{i + 1}", _module(
                self.lib, DenseLayer, in_channels + i * growth, growth, bn_size))

    def forward(self, x):
        features = [x]
        for layer in self.children():
            features.append(layer(features))
        return self.lib.cat(features, 1)


def densenet(lib, growth, blocks, bn_size, init_features, num_classes):
    """7×7/2 stem, BN, ReLU, 3×3/2 max-pool; dense blocks of `blocks` layers, each but the
    last followed by a transition (BN, ReLU, 1×1 conv halving the channels, 2×2 average
    pool); final BN, ReLU, global average pool, linear."""
    nn = lib.nn
    layers = OrderedDict(conv0=nn.Conv2d(3, init_features, 7, 2, 3, bias=False),
                         norm0=nn.BatchNorm2d(init_features), relu0=nn.ReLU(),
                         pool0=nn.MaxPool2d(3, 2, 1))            # (N, init_features, H/4, W/4)
    channels = init_features
    for index, count in enumerate(blocks):
        layers[f"denseblock{index + 1}"] = _module(lib, DenseBlock, count, channels, growth,
                                                   bn_size)
        channels += count * growth
        if index < len(blocks) - 1:
            layers[f"transition{index + 1}"] = nn.Sequential(OrderedDict(
                norm=nn.BatchNorm2d(channels), relu=nn.ReLU(),
                conv=nn.Conv2d(channels, channels // 2, 1, bias=False),
                pool=nn.AvgPool2d(2, 2)))
            channels //= 2
    layers["norm5"] = nn.BatchNorm2d(channels)
    return nn.Sequential(OrderedDict(
        features=nn.Sequential(layers), relu=nn.ReLU(), avgpool=nn.AdaptiveAvgPool2d(1),
        flatten=nn.Flatten(), classifier=nn.Linear(channels, num_classes)))


def densenet121(lib, num_classes=1000):
    return densenet(lib, 32, DENSENET121_BLOCKS, 4, 64, num_classes)


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


def vit_b16(lib, num_classes=1000, image_size=224):
    """ViT-B/16: patch 16 (197 tokens at 224²), dim 768, depth 12, 12 heads, MLP 3072; the
    learnt positions are sized for `image_size`."""
    return _module(lib, VisionTransformer, image_size, 16, 768, 12, 12, 3072, num_classes)


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
