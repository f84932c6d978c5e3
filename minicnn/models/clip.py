"""CLIP (Radford et al., 2021, "Learning Transferable Visual Models From Natural Language
Supervision"), as open_clip builds its `RN50` and `ViT-B-32` models: an image tower and a text
transformer, each followed by a linear projection into a shared embedding space, compared by
cosine similarity scaled by a learnable temperature `logit_scale` (initialised to log(1/0.07)).

Image towers
    ModifiedResNet (RN50): a 3-conv stem (3×3/2, 3×3, 3×3) with 2×2 average pooling;
        Bottleneck stages whose strided blocks downsample by average pooling before the
        last 1×1 conv (and before the 1×1 shortcut conv), anti-aliased; an attention pool
        (one query, the spatial mean, attending over the 7×7 grid plus itself).
    VisionTransformer (ViT-B/32): 32×32 patches, a class token, learned position
        embeddings, ln_pre, pre-norm transformer blocks, ln_post on the class token, `proj`.
Text tower (at the model's top level, as in open_clip)
    token_embedding, positional_embedding, a causal pre-norm transformer, ln_final, the
    features at the end-of-text token (the largest id in each row), `text_projection`.

State_dict keys and shapes equal open_clip's (`open_clip.create_model(name)`); the causal
mask `attn_mask` is a non-persistent buffer. Both configs use the exact GELU (open_clip's
default); `quick_gelu=True` gives x·σ(1.702x), which OpenAI's original weights were trained with.
"""
import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .. import functional as F
from .. import nn
from ..creation import arange, full, tensor
from ..tensor import Tensor
from .weights import accepts_weights_keywords

__all__ = ["CLIP", "CLIPTextCfg", "CLIPVisionCfg", "ClipLoss", "clip_loss", "clip_rn50",
           "clip_vit_b_32", "l2_normalize"]


@dataclass
class CLIPVisionCfg:
    """open_clip's vision_cfg: `layers` a 4-tuple builds a ModifiedResNet (width = stem width),
    an int a VisionTransformer (width = token width, with patch_size)."""
    layers: object = 12
    width: int = 768
    head_width: int = 64
    mlp_ratio: float = 4.0
    patch_size: object = 16
    image_size: int = 224


@dataclass
class CLIPTextCfg:
    """open_clip's text_cfg."""
    context_length: int = 77
    vocab_size: int = 49408
    width: int = 512
    heads: int = 8
    layers: int = 12
    mlp_ratio: float = 4.0


_TEXT_CFG = dict(context_length=77, vocab_size=49408, width=512, heads=8, layers=12)
CONFIGS = {  # open_clip's model_configs/<name>.json
    "clip_rn50": dict(embed_dim=1024, text_cfg=_TEXT_CFG, vision_cfg=dict(
        layers=(3, 4, 6, 3), width=64, patch_size=None, image_size=224)),
    "clip_vit_b_32": dict(embed_dim=512, text_cfg=_TEXT_CFG, vision_cfg=dict(
        layers=12, width=768, patch_size=32, image_size=224)),
}


def _positive_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


def _require(op, name, value, ok, what):
    if not ok:
        raise ValueError(f"{op}: {name} must be {what}, got {value!r}")


def l2_normalize(x, eps=1e-12):
    """x / max(‖x‖₂, eps) along the last dimension (torch's F.normalize(x, dim=-1))."""
    norm = F.sqrt(F.sum(x * x, dim=-1, keepdim=True))
    return x / F.clamp(norm, min=eps)


def _normal(shape, std):
    """A float32 tensor of `shape` drawn from N(0, std²)."""
    return nn.init.normal_(tensor(np.empty(shape, np.float32)), std=std)


def _normal_parameter(shape, std):
    return nn.Parameter(_normal(shape, std))


class QuickGELU(nn.Module):
    """x·σ(1.702·x), the GELU approximation of OpenAI's CLIP weights."""

    def forward(self, x):
        return x * F.sigmoid(1.702 * x)


# ---- ModifiedResNet (RN50 image tower) -----------------------------------------------------

class Bottleneck(nn.Module):
    """1×1 → 3×3 → (2×2 avg-pool when strided) → 1×1 (×4 channels), residual; the shortcut is
    avg-pool → 1×1 conv → BN when the shape changes (`downsample` keys "0", "1")."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.act2 = nn.ReLU()
        self.avgpool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.act3 = nn.ReLU()
        self.downsample = None
        if stride > 1 or inplanes != out:
            self.downsample = nn.Sequential(OrderedDict([
                ("-1", nn.AvgPool2d(stride)),
                ("0", nn.Conv2d(inplanes, out, 1, bias=False)),
                ("1", nn.BatchNorm2d(out))]))

    def forward(self, x):                                       # (N, inplanes, H, W)
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.avgpool(self.act2(self.bn2(self.conv2(out))))  # (N, planes, H/s, W/s)
        out = self.bn3(self.conv3(out))                          # (N, 4·planes, H/s, W/s)
        identity = x if self.downsample is None else self.downsample(x)
        return self.act3(out + identity)


class AttentionPool2d(nn.Module):
    """Multi-head attention pooling: the mean of the grid, with position embeddings, queries
    the grid and itself; q/k/v_proj and c_proj (to output_dim) are separate Linears."""

    def __init__(self, spacial_dim, embed_dim, num_heads, output_dim=None):
        super().__init__()
        self.positional_embedding = _normal_parameter((spacial_dim ** 2 + 1, embed_dim),
                                                      embed_dim ** -0.5)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.c_proj = nn.Linear(embed_dim, output_dim or embed_dim)
        self.num_heads = num_heads

    def _heads(self, x):                                        # (N, S, C) -> (N, h, S, C/h)
        n, s, c = x.shape
        return F.permute(F.reshape(x, (n, s, self.num_heads, c // self.num_heads)), (0, 2, 1, 3))

    def forward(self, x):                                       # (N, C, H, W)
        n, c, h, w = x.shape
        x = F.permute(F.reshape(x, (n, c, h * w)), (0, 2, 1))   # (N, HW, C)
        x = F.cat([F.mean(x, dim=1, keepdim=True), x], dim=1)  # (N, HW+1, C)
        x = x + self.positional_embedding
        query = self._heads(self.q_proj(x[:, :1]))              # only the mean token's output
        out = F.scaled_dot_product_attention(query, self._heads(self.k_proj(x)),
                                             self._heads(self.v_proj(x)))  # (N, h, 1, C/h)
        return self.c_proj(F.reshape(out, (n, c)))              # (N, output_dim)


class ModifiedResNet(nn.Module):
    """ResNet with a 3-conv stem, anti-aliased (avg-pool) downsampling and attention pooling."""

    def __init__(self, layers, output_dim, heads, image_size=224, width=64):
        super().__init__()
        self.output_dim = output_dim
        self.image_size = image_size
        half = width // 2
        self.conv1 = nn.Conv2d(3, half, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(half)
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv2d(half, half, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(half)
        self.act2 = nn.ReLU()
        self.conv3 = nn.Conv2d(half, width, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(width)
        self.act3 = nn.ReLU()
        self.avgpool = nn.AvgPool2d(2)
        inplanes = width
        for i, blocks in enumerate(layers):
            planes = width * 2 ** i
            stage = [Bottleneck(inplanes, planes, 1 if i == 0 else 2)]
            inplanes = planes * Bottleneck.expansion
            stage += [Bottleneck(inplanes, planes) for _ in range(1, blocks)]
            self.add_module(f"layer{i + 1}", nn.Sequential(*stage))
        self.attnpool = AttentionPool2d(image_size // 32, width * 32, heads, output_dim)
        self._init_parameters()

    def _init_parameters(self):
        """open_clip: N(0, 1/C) attention-pool projections, zero last BN γ in every block."""
        std = self.attnpool.c_proj.in_features ** -0.5
        for proj in (self.attnpool.q_proj, self.attnpool.k_proj, self.attnpool.v_proj,
                     self.attnpool.c_proj):
            nn.init.normal_(proj.weight, std=std)
        for name, param in self.named_parameters():
            if name.startswith("layer") and name.endswith("bn3.weight"):
                nn.init.zeros_(param)

    def forward(self, x):                                       # (N, 3, S, S)
        x = self.act1(self.bn1(self.conv1(x)))                  # (N, width/2, S/2, S/2)
        x = self.act2(self.bn2(self.conv2(x)))
        x = self.avgpool(self.act3(self.bn3(self.conv3(x))))    # (N, width, S/4, S/4)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # (N, 32·width, S/32, S/32)
        return self.attnpool(x)                                 # (N, output_dim)


# ---- transformers (ViT-B/32 image tower, text tower) ---------------------------------------

class ResidualAttentionBlock(nn.Module):
    """x + attn(ln_1(x)), then x + mlp(ln_2(x)); batch-first nn.MultiheadAttention."""

    def __init__(self, width, heads, mlp_ratio=4.0, act_layer=nn.GELU):
        super().__init__()
        hidden = int(width * mlp_ratio)
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(OrderedDict([
            ("c_fc", nn.Linear(width, hidden)), ("gelu", act_layer()),
            ("c_proj", nn.Linear(hidden, width))]))

    def forward(self, x, attn_mask=None):                       # (N, L, width)
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=attn_mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    """`layers` ResidualAttentionBlocks (keys resblocks.{i}.…)."""

    def __init__(self, width, layers, heads, mlp_ratio=4.0, act_layer=nn.GELU):
        super().__init__()
        self.width = width
        self.layers = layers
        self.resblocks = nn.ModuleList(
            [ResidualAttentionBlock(width, heads, mlp_ratio, act_layer) for _ in range(layers)])

    def forward(self, x, attn_mask=None):                       # (N, L, width)
        for block in self.resblocks:
            x = block(x, attn_mask=attn_mask)
        return x


class VisionTransformer(nn.Module):
    """Patch embedding (conv1, no bias), class token, position embeddings, ln_pre,
    transformer, ln_post on the class token, projection `proj` (width, output_dim)."""

    def __init__(self, image_size, patch_size, width, layers, heads, mlp_ratio, output_dim,
                 act_layer=nn.GELU):
        super().__init__()
        self.image_size = image_size
        self.patch_size = patch_size
        self.output_dim = output_dim
        grid = image_size // patch_size
        scale = width ** -0.5
        self.conv1 = nn.Conv2d(3, width, patch_size, stride=patch_size, bias=False)
        self.class_embedding = _normal_parameter((width,), scale)
        self.positional_embedding = _normal_parameter((grid * grid + 1, width), scale)
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads, mlp_ratio, act_layer)
        self.ln_post = nn.LayerNorm(width)
        self.proj = _normal_parameter((width, output_dim), scale)

    def forward(self, x):                                       # (N, 3, S, S)
        x = self.conv1(x)                                       # (N, width, S/p, S/p)
        n, width = x.shape[:2]
        x = F.permute(F.reshape(x, (n, width, -1)), (0, 2, 1))  # (N, grid², width)
        cls = F.expand(F.reshape(self.class_embedding, (1, 1, width)), (n, 1, width))
        x = F.cat([cls, x], dim=1) + self.positional_embedding  # (N, grid²+1, width)
        x = self.transformer(self.ln_pre(x))
        return self.ln_post(x[:, 0]) @ self.proj                # (N, output_dim)


def causal_mask(length):
    """(length, length) additive mask: 0 on and below the diagonal, −inf above."""
    return tensor(np.triu(np.full((length, length), -np.inf, np.float32), 1))


# ---- CLIP ----------------------------------------------------------------------------------

class CLIP(nn.Module):
    """CLIP(embed_dim, vision_cfg, text_cfg, quick_gelu=False, init_logit_scale=log(1/0.07)).

    `vision_cfg` / `text_cfg` are CLIPVisionCfg / CLIPTextCfg or dicts of their fields.
    encode_image(images (N, 3, S, S)) and encode_text(tokens (N, L), L ≤ context_length) give
    (N, embed_dim) features (unit length with normalize=True); forward(images, texts) returns
    (image_features, text_features) normalised and logit_scale.exp(), as open_clip's CLIP.
    """

    def __init__(self, embed_dim, vision_cfg, text_cfg, quick_gelu=False,
                 init_logit_scale=math.log(1 / 0.07)):
        super().__init__()
        vision = vision_cfg if isinstance(vision_cfg, CLIPVisionCfg) else CLIPVisionCfg(
            **vision_cfg)
        text = text_cfg if isinstance(text_cfg, CLIPTextCfg) else CLIPTextCfg(**text_cfg)
        _check_configs("CLIP", embed_dim, vision, text)
        act_layer = QuickGELU if quick_gelu else nn.GELU
        self.embed_dim = embed_dim
        self.input_size = (3, vision.image_size, vision.image_size)
        if isinstance(vision.layers, (tuple, list)):
            self.visual = ModifiedResNet(vision.layers, embed_dim, vision.width * 32 //
                                         vision.head_width, vision.image_size, vision.width)
        else:
            self.visual = VisionTransformer(vision.image_size, vision.patch_size, vision.width,
                                            vision.layers, vision.width // vision.head_width,
                                            vision.mlp_ratio, embed_dim, act_layer)
        self.context_length = text.context_length
        self.vocab_size = text.vocab_size
        self.transformer = Transformer(text.width, text.layers, text.heads, text.mlp_ratio,
                                       act_layer)
        self.token_embedding = nn.Embedding(text.vocab_size, text.width,  # N(0, 0.02²)
                                            _weight=_normal((text.vocab_size, text.width), 0.02))
        self.positional_embedding = _normal_parameter((text.context_length, text.width), 0.01)
        self.ln_final = nn.LayerNorm(text.width)
        self.text_projection = _normal_parameter((text.width, embed_dim), text.width ** -0.5)
        self.register_buffer("attn_mask", causal_mask(text.context_length), persistent=False)
        self.logit_scale = nn.Parameter(full((), float(init_logit_scale)))
        self._init_text_parameters()

    def _init_text_parameters(self):
        """open_clip's text init: N(0, 1/√width) in-projections; N(0, 1/√(2·width·layers))
        output projections; N(0, 1/√(2·width)) c_fc."""
        width, layers = self.transformer.width, self.transformer.layers
        for block in self.transformer.resblocks:
            nn.init.normal_(block.attn.in_proj_weight, std=width ** -0.5)
            nn.init.normal_(block.attn.out_proj.weight, std=(2 * width * layers) ** -0.5)
            nn.init.normal_(block.mlp.c_fc.weight, std=(2 * width) ** -0.5)
            nn.init.normal_(block.mlp.c_proj.weight, std=(2 * width * layers) ** -0.5)

    def encode_image(self, image, normalize=False):
        """(N, 3, S, S) images -> (N, embed_dim) features."""
        expected = self.input_size
        if not isinstance(image, Tensor) or image.ndim != 4 or tuple(image.shape[1:]) != expected:
            shape = tuple(image.shape) if hasattr(image, "shape") else type(image).__name__
            raise ValueError(f"CLIP.encode_image: images must have shape (N, {expected[0]}, "
                             f"{expected[1]}, {expected[2]}), got {shape}")
        features = self.visual(image)
        return l2_normalize(features) if normalize else features

    def encode_text(self, text, normalize=False):
        """(N, L) int64 token ids (L ≤ context_length; 0-padded, EOT the largest id) ->
        (N, embed_dim) features taken at each row's end-of-text token."""
        if not isinstance(text, Tensor) or text.ndim != 2 or text.dtype.kind not in "iu" \
                or not 0 < text.shape[1] <= self.context_length:
            desc = f"{tuple(text.shape)} {text.dtype}" if hasattr(text, "shape") else \
                type(text).__name__
            raise ValueError(f"CLIP.encode_text: text must be integer token ids of shape (N, L) "
                             f"with 0 < L <= {self.context_length}, got {desc}")
        length = text.shape[1]
        x = self.token_embedding(text) + self.positional_embedding[:length]  # (N, L, width)
        x = self.transformer(x, attn_mask=self.attn_mask[:length, :length])
        x = self.ln_final(x)
        eot = F.argmax(text, dim=-1)                            # (N,)
        x = x[arange(text.shape[0], device=x.device), eot] @ self.text_projection
        return l2_normalize(x) if normalize else x              # (N, embed_dim)

    def get_logits(self, image, text):
        """(logits_per_image (N_img, N_txt), logits_per_text (N_txt, N_img))."""
        image_features = self.encode_image(image, normalize=True)
        text_features = self.encode_text(text, normalize=True)
        logits = self.temperature() * (image_features @ text_features.T)
        return logits, logits.T

    def forward(self, image=None, text=None):
        image_features = self.encode_image(image, normalize=True) if image is not None else None
        text_features = self.encode_text(text, normalize=True) if text is not None else None
        return image_features, text_features, self.temperature()

    def temperature(self):
        """exp(logit_scale), 0-d. Taken through a 1-element view: the gradient of an op on a
        0-d array would be a NumPy scalar, which optimizers reject for a 0-d parameter."""
        return F.reshape(F.exp(F.reshape(self.logit_scale, (1,))), ())


def _check_configs(op, embed_dim, vision, text, image_size_arg="vision_cfg.image_size"):
    _require(op, "embed_dim", embed_dim, _positive_int(embed_dim), "a positive integer")
    layers = vision.layers
    resnet = isinstance(layers, (tuple, list))
    _require(op, "vision_cfg.layers", layers,
             (len(layers) == 4 and all(_positive_int(n) for n in layers)) if resnet
             else _positive_int(layers), "a positive integer or 4 positive integers")
    _require(op, "vision_cfg.head_width", vision.head_width, _positive_int(vision.head_width),
             "a positive integer")
    heads_width = vision.width * 32 if resnet else vision.width
    _require(op, "vision_cfg.width", vision.width,
             _positive_int(vision.width) and heads_width % vision.head_width == 0
             and (vision.width % 2 == 0 or not resnet),
             f"a positive integer{' (even)' if resnet else ''} whose "
             f"{'32× ' if resnet else ''}width is a multiple of head_width "
             f"{vision.head_width}")
    stride = 32 if resnet else vision.patch_size
    if not resnet:
        _require(op, "vision_cfg.patch_size", stride, _positive_int(stride), "a positive integer")
    _require(op, image_size_arg, vision.image_size,
             _positive_int(vision.image_size) and vision.image_size % stride == 0,
             f"a positive multiple of {stride}")
    for name in ("context_length", "vocab_size", "width", "heads", "layers"):
        value = getattr(text, name)
        _require(op, f"text_cfg.{name}", value, _positive_int(value), "a positive integer")
    _require(op, "text_cfg.width", text.width, text.width % text.heads == 0,
             f"a multiple of text_cfg.heads {text.heads}")


def _build(name, image_size, quick_gelu):
    config = CONFIGS[name]
    vision = CLIPVisionCfg(**dict(config["vision_cfg"], image_size=image_size))
    text = CLIPTextCfg(**config["text_cfg"])
    _check_configs(name, config["embed_dim"], vision, text, image_size_arg="image_size")
    return CLIP(config["embed_dim"], vision, text, quick_gelu=quick_gelu)


@accepts_weights_keywords
def clip_rn50(image_size=224, quick_gelu=False):
    """open_clip's `RN50`: ModifiedResNet-50 image tower (1024-d embedding), 12-layer 512-wide
    text transformer; 102,007,137 parameters at 224. quick_gelu=True is `RN50-quickgelu`."""
    return _build("clip_rn50", image_size, quick_gelu)


@accepts_weights_keywords
def clip_vit_b_32(image_size=224, quick_gelu=False):
    """open_clip's `ViT-B-32`: ViT-B/32 image tower (512-d embedding), 12-layer 512-wide text
    transformer; 151,277,313 parameters at 224. quick_gelu=True is `ViT-B-32-quickgelu`."""
    return _build("clip_vit_b_32", image_size, quick_gelu)


# ---- contrastive loss ----------------------------------------------------------------------

def clip_loss(image_features, text_features, logit_scale):
    """CLIP's symmetric InfoNCE loss: with logits = logit_scale · image_features ·
    text_featuresᵀ (N, N), the mean of cross_entropy(logits, arange(N)) and
    cross_entropy(logitsᵀ, arange(N)). `logit_scale` is the (already exponentiated)
    temperature, a Tensor or a number; the features are used as given (normalise them first)."""
    for name, t in (("image_features", image_features), ("text_features", text_features)):
        if not isinstance(t, Tensor) or t.ndim != 2:
            shape = tuple(t.shape) if hasattr(t, "shape") else type(t).__name__
            raise ValueError(f"clip_loss: {name} must be a 2-D Tensor (N, D), got {shape}")
    if tuple(image_features.shape) != tuple(text_features.shape):
        raise ValueError(f"clip_loss: image_features {tuple(image_features.shape)} and "
                         f"text_features {tuple(text_features.shape)} must have one shape "
                         f"(N pairs, D)")
    logits_per_image = logit_scale * (image_features @ text_features.T)  # (N, N)
    labels = arange(image_features.shape[0], device=image_features.device)
    return (F.cross_entropy(logits_per_image, labels)
            + F.cross_entropy(logits_per_image.T, labels)) / 2


class ClipLoss(nn.Module):
    """Module form of `clip_loss`: forward(image_features, text_features, logit_scale)."""

    def forward(self, image_features, text_features, logit_scale):
        return clip_loss(image_features, text_features, logit_scale)
