"""DeiT: data-efficient image transformers (Touvron et al., 2021, "Training data-efficient image
transformers & distillation through attention", arXiv:2012.12877), with timm's VisionTransformer
and VisionTransformerDistilled state_dict keys, constructor names and initialisation.

    patch_embed.proj     p×p convolution, stride p: (N, 3, H, W) → (N, L, D)
    cls_token            (1, 1, D), prepended; `dist_token` after it in the distilled models
    pos_embed            (1, P + L, D) over the P prefix tokens and the patches, added
    blocks.{i}           x + Attn(norm1(x)), x + MLP(norm2(x)); qkv with bias, exact GELU,
                         LayerNorm eps 1e-6, stochastic depth (drop_path_rate) on each branch
    norm, head           final LayerNorm, Linear on the class token; `head_dist` on the
                         distillation token

The plain network is timm's VisionTransformer (named DeiT here, since mc.models.VisionTransformer
is torchvision's). The distilled one returns (class logits, distillation logits) in training
and their mean in eval, as timm's VisionTransformerDistilled with distilled training enabled;
train it with mc.models.soft_distillation_loss or hard_distillation_loss.
"""
import numbers

from .. import functional as F
from .. import nn
from ..creation import ones, zeros
from ..nn import init
from .position_embedding import patch_grid, resized_parameter
from .weights import accepts_weights_keywords


class DropPath(nn.Module):
    """Stochastic depth (Huang et al., 2016): in training, zero a sample's whole residual
    branch with probability p and scale the kept ones by 1/(1 − p)."""

    def __init__(self, drop_prob=0.0):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):                                       # (N, ...)
        if not self.training or self.drop_prob == 0:
            return x
        keep = ones(x.shape[0], *([1] * (x.ndim - 1)), dtype=x.dtype, device=x.device)
        return x * F.dropout(keep, self.drop_prob)              # (N, 1, ...) mask, broadcast

    def extra_repr(self):
        return f"drop_prob={self.drop_prob}"


class PatchEmbed(nn.Module):
    """(N, C, H, W) → (N, L, D): a p×p, stride-p convolution, flattened over the grid."""

    def __init__(self, img_size, patch_size, in_chans, embed_dim, owner):
        super().__init__()
        self.grid_size = patch_grid(owner, img_size, patch_size)
        self.img_size = _pair(img_size)
        self.patch_size = _pair(patch_size)
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=self.patch_size,
                              stride=self.patch_size)

    def forward(self, x):                                       # (N, C, H, W)
        if tuple(x.shape[2:]) != self.img_size:
            raise ValueError(f"PatchEmbed: expected {self.img_size[0]}×{self.img_size[1]} "
                             f"images, got {x.shape[2]}×{x.shape[3]} (input shape "
                             f"{tuple(x.shape)}); call set_image_size to change the resolution")
        return self.proj(x).flatten(2).transpose(1, 2)          # (N, L, D)


class Attention(nn.Module):
    """Multi-head self-attention with one packed qkv projection (timm's Attention)."""

    def __init__(self, dim, num_heads, qkv_bias, attn_drop, proj_drop):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x):                                       # (B, N, D)
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)          # each (B, heads, N, head_dim)
        x = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop.p if self.training else 0.0)
        x = x.transpose(1, 2).reshape(b, n, d)                  # (B, N, D)
        return self.proj_drop(self.proj(x))


class Mlp(nn.Module):
    """fc1, exact GELU, dropout, fc2, dropout."""

    def __init__(self, in_features, hidden_features, drop):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.drop1 = nn.Dropout(drop)
        self.fc2 = nn.Linear(hidden_features, in_features)
        self.drop2 = nn.Dropout(drop)

    def forward(self, x):
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))


class Block(nn.Module):
    """Pre-norm transformer block: x + DropPath(Attn(norm1(x))), x + DropPath(MLP(norm2(x)))."""

    def __init__(self, dim, num_heads, mlp_ratio, qkv_bias, proj_drop, attn_drop, drop_path):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, qkv_bias, attn_drop, proj_drop)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), proj_drop)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x):                                       # (B, N, D)
        x = x + self.drop_path1(self.attn(self.norm1(x)))
        return x + self.drop_path2(self.mlp(self.norm2(x)))


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _classifier(dim, num_classes):
    return nn.Linear(dim, num_classes) if num_classes > 0 else nn.Identity()


class DeiT(nn.Module):
    """timm's VisionTransformer (class-token pooling, learned position embedding over the class
    token and the patches) on (N, in_chans, H, W) inputs; num_classes=0 returns the features.
    weight_init="skip" leaves the tokens and pos_embed at zero and every layer at its own
    initialisation (faster, for weights that are loaded next)."""

    distilled = False

    def __init__(self, img_size=224, patch_size=16, in_chans=3, num_classes=1000, embed_dim=768,
                 depth=12, num_heads=12, mlp_ratio=4.0, qkv_bias=True, drop_rate=0.0,
                 pos_drop_rate=0.0, proj_drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.0,
                 weight_init=""):
        super().__init__()
        owner = type(self).__name__
        for name, value in dict(in_chans=in_chans, embed_dim=embed_dim, depth=depth,
                                num_heads=num_heads).items():
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
        if not isinstance(num_classes, numbers.Integral) or num_classes < 0:
            raise ValueError(f"{owner}: num_classes must be a non-negative int, got "
                             f"{num_classes!r}")
        if embed_dim % num_heads:
            raise ValueError(f"{owner}: embed_dim {embed_dim} is not divisible by num_heads "
                             f"{num_heads}")
        if weight_init not in ("", "skip"):
            raise ValueError(f"{owner}: weight_init must be '' (timm's init) or 'skip' (the "
                             f"layers' own init, for weights loaded next), got {weight_init!r}")
        if not mlp_ratio > 0:
            raise ValueError(f"{owner}: mlp_ratio must be positive, got {mlp_ratio!r}")
        rates = dict(drop_rate=drop_rate, pos_drop_rate=pos_drop_rate,
                     proj_drop_rate=proj_drop_rate, attn_drop_rate=attn_drop_rate,
                     drop_path_rate=drop_path_rate)
        for name, value in rates.items():
            if not 0 <= value <= 1:
                raise ValueError(f"{owner}: {name} must be in [0, 1], got {value!r}")
        self.num_classes = num_classes
        self.embed_dim = self.num_features = embed_dim
        self.num_prefix_tokens = 2 if self.distilled else 1
        self.patch_embed = PatchEmbed(img_size, patch_size, in_chans, embed_dim, owner)
        self.input_size = (in_chans,) + self.patch_embed.img_size

        self.cls_token = nn.Parameter(zeros(1, 1, embed_dim))
        if self.distilled:
            self.dist_token = nn.Parameter(zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(zeros(1, self.patch_embed.num_patches +
                                            self.num_prefix_tokens, embed_dim))
        self.pos_drop = nn.Dropout(pos_drop_rate)
        self.blocks = nn.Sequential(*[
            Block(embed_dim, num_heads, mlp_ratio, qkv_bias, proj_drop_rate, attn_drop_rate,
                  drop_path_rate * i / max(depth - 1, 1))        # stochastic depth decay rule
            for i in range(depth)])
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.head_drop = nn.Dropout(drop_rate)
        self.head = _classifier(embed_dim, num_classes)
        if self.distilled:
            self.head_dist = _classifier(embed_dim, num_classes)
        if weight_init != "skip":
            self._init_weights()

    def _init_weights(self):
        """timm's default ('') init: pos_embed and dist_token ~ trunc N(0, 0.02²), cls_token ~
        N(0, 1e-6²), every Linear ~ trunc N(0, 0.02²) with zero bias; the patch convolution and
        the LayerNorms keep their own initialisation."""
        init.trunc_normal_(self.pos_embed, std=0.02)
        init.normal_(self.cls_token, std=1e-6)
        if self.distilled:
            init.trunc_normal_(self.dist_token, std=0.02)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                init.trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    init.zeros_(module.bias)

    def set_image_size(self, img_size):
        """Run at img_size (an int or (H, W)) from now on: the grid part of pos_embed is resized
        bilinearly (prefix tokens kept) and replaced by a new Parameter (rebuild an optimizer
        over the new parameters)."""
        embed = self.patch_embed
        grid = patch_grid(type(self).__name__, img_size, embed.patch_size)
        self.pos_embed = resized_parameter(self.pos_embed, grid, self.num_prefix_tokens,
                                           old_grid=embed.grid_size)
        embed.img_size = _pair(img_size)
        embed.grid_size = grid
        embed.num_patches = grid[0] * grid[1]
        self.input_size = self.input_size[:1] + embed.img_size

    def _prefix_tokens(self, n):
        tokens = [self.cls_token] + ([self.dist_token] if self.distilled else [])
        return [token.expand(n, -1, -1) for token in tokens]    # each (N, 1, D)

    def forward_features(self, x):                              # (N, C, H, W)
        x = self.patch_embed(x)                                 # (N, L, D)
        x = F.cat(self._prefix_tokens(x.shape[0]) + [x], dim=1) + self.pos_embed  # (N, P + L, D)
        return self.norm(self.blocks(self.pos_drop(x)))

    def forward_head(self, x):                                  # (N, P + L, D)
        return self.head(self.head_drop(x[:, 0]))              # (N, num_classes)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))


class VisionTransformerDistilled(DeiT):
    """DeiT with a distillation token and a second head `head_dist` that learns from a teacher:
    in training (with distilled_training, on by default) forward returns (class logits,
    distillation logits); otherwise their mean."""

    distilled = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.distilled_training = True

    def set_distilled_training(self, enable=True):
        """Whether training-mode forward returns the two heads' logits apart (True) or their
        mean (False, for plain fine-tuning)."""
        self.distilled_training = enable

    def forward_head(self, x):                                  # (N, P + L, D)
        logits = self.head(self.head_drop(x[:, 0]))             # (N, num_classes)
        logits_dist = self.head_dist(self.head_drop(x[:, 1]))   # (N, num_classes)
        if self.training and self.distilled_training:
            return logits, logits_dist
        return (logits + logits_dist) / 2


_CONFIGS = {
    "vit_tiny_patch16_224": dict(patch_size=16, embed_dim=192, depth=12, num_heads=3),
    "deit_tiny_patch16_224": dict(patch_size=16, embed_dim=192, depth=12, num_heads=3),
    "deit_small_patch16_224": dict(patch_size=16, embed_dim=384, depth=12, num_heads=6),
    "deit_base_patch16_224": dict(patch_size=16, embed_dim=768, depth=12, num_heads=12),
    "deit_tiny_distilled_patch16_224": dict(patch_size=16, embed_dim=192, depth=12,
                                            num_heads=3),
    "deit_small_distilled_patch16_224": dict(patch_size=16, embed_dim=384, depth=12,
                                             num_heads=6),
    "deit_base_distilled_patch16_224": dict(patch_size=16, embed_dim=768, depth=12,
                                            num_heads=12),
}


def _create(name, kwargs):
    cls = VisionTransformerDistilled if "distilled" in name else DeiT
    return cls(**dict(_CONFIGS[name], **kwargs))


@accepts_weights_keywords
def vit_tiny_patch16_224(**kwargs):
    """ViT-Ti/16 (timm): D = 192, 12 blocks, 3 heads, 224×224 inputs."""
    return _create("vit_tiny_patch16_224", kwargs)


@accepts_weights_keywords
def deit_tiny_patch16_224(**kwargs):
    """DeiT-Ti: D = 192, 12 blocks, 3 heads, 224×224 inputs."""
    return _create("deit_tiny_patch16_224", kwargs)


@accepts_weights_keywords
def deit_small_patch16_224(**kwargs):
    """DeiT-S: D = 384, 12 blocks, 6 heads, 224×224 inputs."""
    return _create("deit_small_patch16_224", kwargs)


@accepts_weights_keywords
def deit_base_patch16_224(**kwargs):
    """DeiT-B: D = 768, 12 blocks, 12 heads, 224×224 inputs."""
    return _create("deit_base_patch16_224", kwargs)


@accepts_weights_keywords
def deit_tiny_distilled_patch16_224(**kwargs):
    """DeiT-Ti⚗: DeiT-Ti with a distillation token and head."""
    return _create("deit_tiny_distilled_patch16_224", kwargs)


@accepts_weights_keywords
def deit_small_distilled_patch16_224(**kwargs):
    """DeiT-S⚗: DeiT-S with a distillation token and head."""
    return _create("deit_small_distilled_patch16_224", kwargs)


@accepts_weights_keywords
def deit_base_distilled_patch16_224(**kwargs):
    """DeiT-B⚗: DeiT-B with a distillation token and head."""
    return _create("deit_base_distilled_patch16_224", kwargs)
