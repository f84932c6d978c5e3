"""Squeeze-and-Excitation ResNets (Hu et al., "Squeeze-and-Excitation Networks", 2018) with
timm's `seresnet50` and `senet154` structure, state_dict keys and initialisation (both come
from timm/models/resnet.py: ResNet with `block_args=dict(attn_layer='se')`).

Each bottleneck rescales its residual branch's channels with an `mc.nn.SqueezeExcitation` (key
`se`, 1×1 convs fc1/fc2 with bias, reduction 16 rounded to a multiple of 8) after bn3, before
the shortcut is added. The networks are minicnn.models.resnet.ResNet with these options:

    seresnet50   Bottleneck × (3, 4, 6, 3), the 7×7 stem                     28,088,024 params
    senet154     Bottleneck × (3, 8, 36, 3), 64 groups of width 4, a deep stem (3×3 convs
                 64-64-128), conv1 halved (reduce_first 2), 3×3 strided shortcut convs
                                                                             115,088,984 params

timm starts the last norm of each block (bn3) at zero ("zero_init_last").
"""
from .. import nn
from .resnet import Bottleneck, ResNet
from .weights import accepts_weights_keywords

__all__ = ["seresnet50", "senet154"]


def make_divisible(value, divisor=8):
    """`value` rounded to the nearest multiple of `divisor` (at least `divisor`)."""
    return max(divisor, int(value + divisor / 2) // divisor * divisor)


def se_block(channels, reduction=16):
    """The SE module timm attaches to a block of `channels` outputs."""
    return nn.SqueezeExcitation(channels, make_divisible(channels / reduction))


# name: (blocks per stage, ResNet options, Bottleneck options besides the SE block)
CONFIGS = {
    "seresnet50": ((3, 4, 6, 3), {}, {}),
    "senet154": ((3, 8, 36, 3),
                 dict(groups=64, width_per_group=4, deep_stem=True, down_kernel_size=3),
                 dict(reduce_first=2)),
}


def _senet(name, num_classes):
    layers, options, block_options = CONFIGS[name]
    return ResNet(Bottleneck, layers, num_classes, zero_init_residual=True,
                  block_kwargs=dict(block_options, attention=se_block), **options)


@accepts_weights_keywords
def seresnet50(num_classes=1000):
    """SE-ResNet-50 (timm `seresnet50`); 28,088,024 parameters for 1000 classes."""
    return _senet("seresnet50", num_classes)


@accepts_weights_keywords
def senet154(num_classes=1000):
    """SENet-154 (timm `senet154`); 115,088,984 parameters for 1000 classes."""
    return _senet("senet154", num_classes)
