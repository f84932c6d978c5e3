"""Vision Transformer (Dosovitskiy et al., 2021, "An Image is Worth 16x16 Words: Transformers
for Image Recognition at Scale", arXiv:2010.11929), with torchvision's VisionTransformer
arguments, state_dict keys and initialisation.

    conv_proj            p×p convolution, stride p: (N, 3, H, W) → (N, D, H/p, W/p) → (N, L, D)
    class_token          (1, 1, D), prepended: (N, 1 + L, D)
    encoder.pos_embedding  (1, 1 + L, D), added; dropout
    encoder.layers       num_layers pre-norm blocks: x + Attn(LN(x)), then x + MLP(LN(x)),
                         MLP = Linear(D, mlp_dim), GELU, Dropout, Linear(mlp_dim, D), Dropout
    encoder.ln           LayerNorm (eps 1e-6)
    heads                Linear(D, num_classes) on the class token (after Linear + tanh when
                         representation_size is given)

`set_image_size` resizes the position embedding (bilinear) so that a model trained at one
resolution runs at another.
"""
from collections import OrderedDict
from functools import partial
import math
import numbers

from .. import nn
from ..creation import zeros
from ..nn import init
from .position_embedding import patch_grid, resized_parameter
from .weights import accepts_weights_keywords


class MLPBlock(nn.Sequential):
    """Linear(D, mlp_dim), GELU, Dropout, Linear(mlp_dim, D), Dropout (keys 0 and 3), with
    xavier_uniform_ weights and N(0, 1e-6²) biases."""

    def __init__(self, in_dim, mlp_dim, dropout):
        super().__init__(nn.Linear(in_dim, mlp_dim), nn.GELU(), nn.Dropout(dropout),
                         nn.Linear(mlp_dim, in_dim), nn.Dropout(dropout))
        for layer in (self[0], self[3]):
            init.xavier_uniform_(layer.weight)
            init.normal_(layer.bias, std=1e-6)


class EncoderBlock(nn.Module):
    """Pre-norm transformer block on (N, S, D): x + Dropout(MHA(LN(x))), then + MLP(LN(·))."""

    def __init__(self, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout, norm_layer):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads,
                                                    dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input):                                   # (N, S, D)
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Position embedding (1, S, D) ~ N(0, 0.02²), dropout, the blocks, a final LayerNorm."""

    def __init__(self, seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                 attention_dropout, norm_layer):
        super().__init__()
        self.pos_embedding = nn.Parameter(zeros(1, seq_length, hidden_dim))
        init.normal_(self.pos_embedding, std=0.02)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout,
                                                attention_dropout, norm_layer))
            for i in range(num_layers)))
        self.ln = norm_layer(hidden_dim)

    def forward(self, input):                                   # (N, S, D)
        return self.ln(self.layers(self.dropout(input + self.pos_embedding)))


class VisionTransformer(nn.Module):
    """ViT on (N, 3, image_size, image_size) inputs, as torchvision.models.VisionTransformer."""

    def __init__(self, image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim,
                 dropout=0.0, attention_dropout=0.0, num_classes=1000, representation_size=None,
                 norm_layer=partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        owner = type(self).__name__
        sizes = dict(image_size=image_size, patch_size=patch_size, num_layers=num_layers,
                     num_heads=num_heads, hidden_dim=hidden_dim, mlp_dim=mlp_dim,
                     num_classes=num_classes)
        if representation_size is not None:
            sizes["representation_size"] = representation_size
        for name, value in sizes.items():
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
        if hidden_dim % num_heads:
            raise ValueError(f"{owner}: hidden_dim {hidden_dim} is not divisible by num_heads "
                             f"{num_heads}")
        for name, value in (("dropout", dropout), ("attention_dropout", attention_dropout)):
            if not 0 <= value <= 1:
                raise ValueError(f"{owner}: {name} must be in [0, 1], got {value!r}")
        grid_h, grid_w = patch_grid(owner, image_size, patch_size)
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer
        self.input_size = (3, image_size, image_size)

        self.conv_proj = nn.Conv2d(3, hidden_dim, kernel_size=patch_size, stride=patch_size)
        self.class_token = nn.Parameter(zeros(1, 1, hidden_dim))
        self.seq_length = grid_h * grid_w + 1
        self.encoder = Encoder(self.seq_length, num_layers, num_heads, hidden_dim, mlp_dim,
                               dropout, attention_dropout, norm_layer)
        heads = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)
        self._init_weights()

    def _init_weights(self):
        """torchvision's: patchify stem ~ trunc N(0, 1/fan_in), pre-logits likewise, zero
        biases and a zero head."""
        fan_in = 3 * self.patch_size * self.patch_size
        init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        init.zeros_(self.conv_proj.bias)
        if self.representation_size is not None:
            pre_logits = self.heads.pre_logits
            init.trunc_normal_(pre_logits.weight, std=math.sqrt(1 / pre_logits.in_features))
            init.zeros_(pre_logits.bias)
        init.zeros_(self.heads.head.weight)
        init.zeros_(self.heads.head.bias)

    def set_image_size(self, image_size):
        """Run at image_size × image_size from now on: the grid part of the position embedding
        is resized bilinearly (class token kept) and replaced by a new Parameter (rebuild an
        optimizer over the new parameters)."""
        grid = patch_grid(type(self).__name__, image_size, self.patch_size)
        encoder = self.encoder
        encoder.pos_embedding = resized_parameter(encoder.pos_embedding, grid, 1)
        self.image_size = image_size
        self.seq_length = grid[0] * grid[1] + 1
        self.input_size = (3, image_size, image_size)

    def _process_input(self, x):
        n, _, h, w = x.shape
        if (h, w) != (self.image_size, self.image_size):
            raise ValueError(f"{type(self).__name__}: expected {self.image_size}×"
                             f"{self.image_size} images, got {h}×{w} (input shape "
                             f"{tuple(x.shape)}); call set_image_size to change the resolution")
        x = self.conv_proj(x)                                   # (N, D, H/p, W/p)
        x = x.reshape(n, self.hidden_dim, -1)                   # (N, D, L)
        return x.permute(0, 2, 1)                               # (N, L, D)

    def forward(self, x):                                       # (N, 3, H, W)
        x = self._process_input(x)
        n = x.shape[0]
        x = nn.functional.cat([self.class_token.expand(n, -1, -1), x], dim=1)  # (N, 1 + L, D)
        x = self.encoder(x)
        return self.heads(x[:, 0])                              # (N, num_classes)


_CONFIGS = {
    "vit_b_16": dict(patch_size=16, num_layers=12, num_heads=12, hidden_dim=768, mlp_dim=3072),
    "vit_b_32": dict(patch_size=32, num_layers=12, num_heads=12, hidden_dim=768, mlp_dim=3072),
}


def _vision_transformer(name, image_size=224, **kwargs):
    return VisionTransformer(image_size=image_size, **_CONFIGS[name], **kwargs)


@accepts_weights_keywords
def vit_b_16(**kwargs):
    """ViT-B/16: 12 layers, 12 heads, D = 768, MLP 3072, 16×16 patches, 224×224 inputs."""
    return _vision_transformer("vit_b_16", **kwargs)


@accepts_weights_keywords
def vit_b_32(**kwargs):
    """ViT-B/32: as ViT-B/16 with 32×32 patches."""
    return _vision_transformer("vit_b_32", **kwargs)
