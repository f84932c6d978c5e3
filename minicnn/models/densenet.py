"""DenseNet-BC (Huang et al., "Densely Connected Convolutional Networks", 2017) with
torchvision's constructors, arguments, state_dict keys and initialisation
(torchvision/models/densenet.py).

    features.conv0 7×7/2, norm0, relu0, pool0 3×3/2 max           224 → 56
    features.denseblock1 … denseblock4, each layer adding growth_rate channels
    features.transition1 … transition3: BN, ReLU, 1×1 conv halving the channels, 2×2/2 avg pool
    features.norm5, ReLU, global average pooling, classifier (Linear)

A dense layer sees the concatenation of every earlier feature map of its block and computes
conv2(relu2(norm2(conv1(relu1(norm1(cat(inputs))))))): a 1×1 bottleneck to bn_size · growth_rate
channels, then a 3×3 conv to growth_rate. With `memory_efficient=True` the bottleneck (the
concatenation through conv1) runs under `mc.utils.checkpoint` (Pleiss et al., "Memory-Efficient
Implementation of DenseNets", 2017): its outputs are not kept but recomputed in backward, and
the gradients are unchanged. As in PyTorch, a training-mode recomputation updates norm1's
running statistics a second time.
"""
from collections import OrderedDict

from .. import nn
from ..activation_checkpoint import checkpoint
from ..nn import functional as F
from .weights import accepts_weights_keywords

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate,
                 memory_efficient=False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1,
                               stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bn_function(self, *inputs):
        concated_features = F.cat(inputs, 1)                    # (N, sum of C_i, H, W)
        return self.conv1(self.relu1(self.norm1(concated_features)))  # (N, bn_size·k, H, W)

    def forward(self, input):
        prev_features = [input] if not isinstance(input, (list, tuple)) else list(input)
        if self.memory_efficient and any(t.requires_grad for t in prev_features):
            bottleneck_output = checkpoint(self.bn_function, *prev_features)
        else:
            bottleneck_output = self.bn_function(*prev_features)
        new_features = self.conv2(self.relu2(self.norm2(bottleneck_output)))  # (N, k, H, W)
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    """num_layers dense layers "denselayer1" …; returns the input and every layer's output
    concatenated: (N, C + num_layers · growth_rate, H, W)."""
    _version = 2

    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate,
                 memory_efficient=False):
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(
                num_input_features + i * growth_rate, growth_rate=growth_rate, bn_size=bn_size,
                drop_rate=drop_rate, memory_efficient=memory_efficient))

    def forward(self, init_features):
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return F.cat(features, 1)


class _Transition(nn.Sequential):
    """norm, relu, 1×1 conv to num_output_features, 2×2/2 average pooling."""

    def __init__(self, num_input_features, num_output_features):
        super().__init__(OrderedDict([
            ("norm", nn.BatchNorm2d(num_input_features)),
            ("relu", nn.ReLU(inplace=True)),
            ("conv", nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1,
                               bias=False)),
            ("pool", nn.AvgPool2d(kernel_size=2, stride=2)),
        ]))


class DenseNet(nn.Module):
    """DenseNet-BC for (N, 3, H, W) input, H and W ≥ 29 (224 native)."""

    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64,
                 bn_size=4, drop_rate=0, num_classes=1000, memory_efficient=False):
        super().__init__()
        for name, value in (("growth_rate", growth_rate), ("num_init_features", num_init_features),
                            ("bn_size", bn_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"DenseNet: {name} must be a positive int, got {value!r}")
        if len(block_config) < 1 or any(int(n) < 1 for n in block_config):
            raise ValueError(f"DenseNet: block_config must hold positive layer counts, got "
                             f"{block_config!r}")
        if not 0 <= drop_rate < 1:
            raise ValueError(f"DenseNet: drop_rate must be in [0, 1), got {drop_rate!r}")
        self.input_size = (3, 224, 224)
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3,
                                bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}", _DenseBlock(
                num_layers=num_layers, num_input_features=num_features, bn_size=bn_size,
                growth_rate=growth_rate, drop_rate=drop_rate, memory_efficient=memory_efficient))
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}",
                                         _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        features = self.features(x)                             # (N, C, H/32, W/32)
        out = F.adaptive_avg_pool2d(F.relu(features), (1, 1))   # (N, C, 1, 1)
        return self.classifier(F.flatten(out, 1))               # (N, num_classes)


# name: (growth_rate, block_config, num_init_features)
CONFIGS = {
    "densenet121": (32, (6, 12, 24, 16), 64),
    "densenet161": (48, (6, 12, 36, 24), 96),
    "densenet169": (32, (6, 12, 32, 32), 64),
    "densenet201": (32, (6, 12, 48, 32), 64),
}


def _densenet(name, num_classes, memory_efficient, kwargs):
    growth_rate, block_config, num_init_features = CONFIGS[name]
    kwargs = dict(dict(growth_rate=growth_rate, block_config=block_config,
                       num_init_features=num_init_features), **kwargs)
    return DenseNet(num_classes=num_classes, memory_efficient=memory_efficient, **kwargs)


@accepts_weights_keywords
def densenet121(num_classes=1000, memory_efficient=False, **kwargs):
    """DenseNet-121: k = 32, blocks (6, 12, 24, 16); 7,978,856 parameters for 1000 classes.
    kwargs (growth_rate, block_config, num_init_features, bn_size, drop_rate) override."""
    return _densenet("densenet121", num_classes, memory_efficient, kwargs)


@accepts_weights_keywords
def densenet161(num_classes=1000, memory_efficient=False, **kwargs):
    """DenseNet-161: k = 48, blocks (6, 12, 36, 24), 96 initial features; 28,681,000
    parameters."""
    return _densenet("densenet161", num_classes, memory_efficient, kwargs)


@accepts_weights_keywords
def densenet169(num_classes=1000, memory_efficient=False, **kwargs):
    """DenseNet-169: k = 32, blocks (6, 12, 32, 32); 14,149,480 parameters."""
    return _densenet("densenet169", num_classes, memory_efficient, kwargs)


@accepts_weights_keywords
def densenet201(num_classes=1000, memory_efficient=False, **kwargs):
    """DenseNet-201: k = 32, blocks (6, 12, 48, 32); 20,013,928 parameters."""
    return _densenet("densenet201", num_classes, memory_efficient, kwargs)
