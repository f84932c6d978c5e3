"""ResNet (He et al., "Deep Residual Learning for Image Recognition", 2015) and ResNeXt (Xie et
al., "Aggregated Residual Transformations for Deep Neural Networks", 2017) with torchvision's
constructors, arguments, state_dict keys and initialisation (torchvision/models/resnet.py).

    conv1 7×7/2 64, bn1, relu, maxpool 3×3/2        224 → 56
    layer1  blocks of  64 planes, stride 1           56
    layer2  blocks of 128 planes, stride 2           28
    layer3  blocks of 256 planes, stride 2           14
    layer4  blocks of 512 planes, stride 2            7
    avgpool (global), fc

BasicBlock (two 3×3 convs, expansion 1) builds ResNet-18/34; Bottleneck (1×1 reduce, 3×3
grouped, 1×1 expand ×4; the stride on the 3×3, "ResNet v1.5") builds ResNet-50/101/152 and,
with groups and width_per_group, ResNeXt. The shortcut is the identity, or a strided 1×1
conv + BN ("option B") where the shape changes.

ResNet also takes three keyword-only options that timm's SE-ResNet/SENet use (minicnn/models/
senet.py): `deep_stem` (three 3×3 convs, 64-64-128, in place of the 7×7), `down_kernel_size`
(3×3 strided shortcut convs) and `block_kwargs` (e.g. an SE block after each bottleneck).
"""
from .. import nn
from ..nn import functional as F
from .weights import accepts_weights_keywords

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50", "resnet101",
           "resnet152", "resnext50_32x4d", "resnext101_32x8d"]


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """3×3 convolution, padded to keep the size at stride 1, without bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    """1×1 convolution without bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), two 3×3 convs of `planes`."""
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError(f"BasicBlock: only groups=1 and base_width=64 are supported, got "
                             f"groups={groups!r}, base_width={base_width!r}")
        if dilation > 1:
            raise ValueError(f"BasicBlock: dilation > 1 is not supported, got "
                             f"dilation={dilation!r}")
        norm_layer = norm_layer or nn.BatchNorm2d
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def residual(self, x):
        out = self.relu(self.bn1(self.conv1(x)))        # (N, planes, H/stride, W/stride)
        return self.bn2(self.conv2(out))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.residual(x)
        out += identity              # in place without a graph, as torchvision's blocks
        return self.relu(out)


class Bottleneck(nn.Module):
    """relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x)): 1×1 to width,
    3×3 (stride, groups, dilation), 1×1 to planes · 4.

    width = ⌊planes · base_width / 64⌋ · groups. `reduce_first` divides conv1's output width
    (2 in SENet-154) and `attention(channels)` builds a module applied after bn3 (an SE
    block); both default to torchvision's plain bottleneck.
    """
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None, *, reduce_first=1, attention=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        first_width = width // reduce_first
        self.conv1 = conv1x1(inplanes, first_width)
        self.bn1 = norm_layer(first_width)
        self.conv2 = conv3x3(first_width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.se = attention(planes * self.expansion) if attention is not None else None
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def residual(self, x):
        out = self.relu(self.bn1(self.conv1(x)))        # (N, width / reduce_first, H, W)
        out = self.relu(self.bn2(self.conv2(out)))      # (N, width, H/stride, W/stride)
        out = self.bn3(self.conv3(out))                 # (N, planes·4, H/stride, W/stride)
        return out if self.se is None else self.se(out)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.residual(x)
        out += identity              # in place without a graph, as torchvision's blocks
        return self.relu(out)


def _deep_stem(norm_layer, width=64):
    """Three 3×3 convs (the first with stride 2) of width-width-2·width, as timm's 'deep'
    stem; the last conv's norm and activation are the network's bn1 and relu."""
    return nn.Sequential(
        conv3x3(3, width, stride=2), norm_layer(width), nn.ReLU(inplace=True),
        conv3x3(width, width), norm_layer(width), nn.ReLU(inplace=True),
        conv3x3(width, 2 * width))


class ResNet(nn.Module):
    """ResNet/ResNeXt for (N, 3, H, W) input, H and W ≥ 32 (224 native); torchvision's
    arguments, plus the keyword-only options described in the module docstring."""

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1,
                 width_per_group=64, replace_stride_with_dilation=None, norm_layer=None, *,
                 deep_stem=False, down_kernel_size=1, block_kwargs=None):
        super().__init__()
        if len(layers) != 4 or any(int(n) < 1 for n in layers):
            raise ValueError(f"ResNet: layers must be 4 positive block counts, got {layers!r}")
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(f"ResNet: replace_stride_with_dilation should be None or a "
                             f"3-element tuple, got {replace_stride_with_dilation!r}")
        if down_kernel_size not in (1, 3):
            raise ValueError(f"ResNet: down_kernel_size must be 1 or 3, got "
                             f"{down_kernel_size!r}")
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self._down_kernel_size = down_kernel_size
        self._block_kwargs = dict(block_kwargs or {})
        self.input_size = (3, 224, 224)
        self.inplanes = 128 if deep_stem else 64
        self.dilation = 1
        self.groups = groups
        self.base_width = width_per_group
        if deep_stem:
            self.conv1 = _deep_stem(self._norm_layer)
        else:
            self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3,
                                   bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2,
                                       dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2,
                                       dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2,
                                       dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        self._init_weights(zero_init_residual)

    def _init_weights(self, zero_init_residual):
        """Convs ~ kaiming_normal(fan_out, relu), norms 1/0, fc as nn.Linear; with
        zero_init_residual the last norm of each block starts at 0 (the block is the identity)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                last = m.bn3 if isinstance(m, Bottleneck) else \
                    m.bn2 if isinstance(m, BasicBlock) else None
                if last is not None and last.weight is not None:
                    nn.init.constant_(last.weight, 0)

    def _shortcut(self, planes, stride):
        """Strided conv + norm from self.inplanes to `planes` channels (a 1×1, or a padded
        down_kernel_size conv where it strides)."""
        kernel = self._down_kernel_size if stride != 1 else 1
        return nn.Sequential(
            nn.Conv2d(self.inplanes, planes, kernel_size=kernel, stride=stride,
                      padding=kernel // 2, bias=False),
            self._norm_layer(planes))

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = self._shortcut(planes * block.expansion, stride)
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, self._norm_layer, **self._block_kwargs)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=self._norm_layer, **self._block_kwargs))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))   # (N, 64, H/4, W/4)
        x = self.layer1(x)                                      # (N, 64·e, H/4, W/4)
        x = self.layer2(x)                                      # (N, 128·e, H/8, W/8)
        x = self.layer3(x)                                      # (N, 256·e, H/16, W/16)
        x = self.layer4(x)                                      # (N, 512·e, H/32, W/32)
        x = F.flatten(self.avgpool(x), 1)                       # (N, 512·e)
        return self.fc(x)


# name: (block, blocks per stage, the arguments the name fixes)
CONFIGS = {
    "resnet18": (BasicBlock, (2, 2, 2, 2), {}),
    "resnet34": (BasicBlock, (3, 4, 6, 3), {}),
    "resnet50": (Bottleneck, (3, 4, 6, 3), {}),
    "resnet101": (Bottleneck, (3, 4, 23, 3), {}),
    "resnet152": (Bottleneck, (3, 8, 36, 3), {}),
    "resnext50_32x4d": (Bottleneck, (3, 4, 6, 3), {"groups": 32, "width_per_group": 4}),
    "resnext101_32x8d": (Bottleneck, (3, 4, 23, 3), {"groups": 32, "width_per_group": 8}),
}


def _resnet(name, num_classes, kwargs):
    block, layers, fixed = CONFIGS[name]
    for key, value in fixed.items():
        if kwargs.setdefault(key, value) != value:
            raise ValueError(f"{name}: {key} is fixed at {value} for this model, got "
                             f"{kwargs[key]!r}")
    return ResNet(block, layers, num_classes, **kwargs)


@accepts_weights_keywords
def resnet18(num_classes=1000, **kwargs):
    """ResNet-18: BasicBlock × (2, 2, 2, 2); 11,689,512 parameters for 1000 classes. kwargs:
    zero_init_residual, groups, width_per_group, replace_stride_with_dilation, norm_layer."""
    return _resnet("resnet18", num_classes, kwargs)


@accepts_weights_keywords
def resnet34(num_classes=1000, **kwargs):
    """ResNet-34: BasicBlock × (3, 4, 6, 3); 21,797,672 parameters."""
    return _resnet("resnet34", num_classes, kwargs)


@accepts_weights_keywords
def resnet50(num_classes=1000, **kwargs):
    """ResNet-50: Bottleneck × (3, 4, 6, 3); 25,557,032 parameters."""
    return _resnet("resnet50", num_classes, kwargs)


@accepts_weights_keywords
def resnet101(num_classes=1000, **kwargs):
    """ResNet-101: Bottleneck × (3, 4, 23, 3); 44,549,160 parameters."""
    return _resnet("resnet101", num_classes, kwargs)


@accepts_weights_keywords
def resnet152(num_classes=1000, **kwargs):
    """ResNet-152: Bottleneck × (3, 8, 36, 3); 60,192,808 parameters."""
    return _resnet("resnet152", num_classes, kwargs)


@accepts_weights_keywords
def resnext50_32x4d(num_classes=1000, **kwargs):
    """ResNeXt-50 32×4d: Bottleneck × (3, 4, 6, 3), 32 groups of width 4; 25,028,904 parameters."""
    return _resnet("resnext50_32x4d", num_classes, kwargs)


@accepts_weights_keywords
def resnext101_32x8d(num_classes=1000, **kwargs):
    """ResNeXt-101 32×8d: Bottleneck × (3, 4, 23, 3), 32 groups of width 8; 88,791,336
    parameters."""
    return _resnet("resnext101_32x8d", num_classes, kwargs)
