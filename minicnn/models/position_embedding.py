"""Resizing a Vision Transformer's learned position embedding to a new patch grid, so that a
network trained at one resolution runs at another (Dosovitskiy et al., 2021, §3.2: "we perform
2D interpolation of the pre-trained position embeddings, according to their location in the
original image"; Touvron et al., 2021, fine-tune DeiT at 384 the same way).

The embedding is (N, P + h·w, D): P prefix tokens (class, distillation) that have no place on
the grid and are kept as they are, then the h×w grid in row-major order, which is resized
bilinearly (align_corners=False), as timm's resample_abs_pos_embed(interpolation="bilinear",
antialias=False) does.
"""
import math
import numbers

from .. import functional as F
from ..grad_mode import no_grad
from ..nn import Parameter


def _grid(owner, name, value):
    """(h, w) from an int or a pair of positive ints."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                 and v > 0 for v in pair):
        raise ValueError(f"{owner}: {name} must be a positive int or a pair of positive ints, "
                         f"got {value!r}")
    return int(pair[0]), int(pair[1])


def patch_grid(owner, image_size, patch_size):
    """The (h, w) patch grid of an image_size image cut into patch_size patches; ValueError
    naming `owner` when a side is not a multiple of the patch side."""
    image_hw = _grid(owner, "image_size", image_size)
    patch_hw = _grid(owner, "patch_size", patch_size)
    if image_hw[0] % patch_hw[0] or image_hw[1] % patch_hw[1]:
        raise ValueError(f"{owner}: image_size {image_size!r} is not divisible by patch_size "
                         f"{patch_size!r}")
    return image_hw[0] // patch_hw[0], image_hw[1] // patch_hw[1]


def resize_pos_embed(pos_embed, new_grid, num_prefix_tokens=1, old_grid=None):
    """Resize the grid part of `pos_embed` (N, P + h·w, D) to `new_grid` (an int or (h', w')),
    keeping its P = num_prefix_tokens leading rows: returns (N, P + h'·w', D). The old grid
    defaults to a square one. Differentiable: the result is an op on `pos_embed`."""
    op = "resize_pos_embed"
    if pos_embed.ndim != 3:
        raise ValueError(f"{op}: pos_embed must be 3-D (N, tokens, dim), got shape "
                         f"{tuple(pos_embed.shape)}")
    if not isinstance(num_prefix_tokens, numbers.Integral) or num_prefix_tokens < 0:
        raise ValueError(f"{op}: num_prefix_tokens must be a non-negative int, got "
                         f"{num_prefix_tokens!r}")
    n, length, dim = pos_embed.shape
    grid_tokens = length - num_prefix_tokens
    if old_grid is None:
        side = math.isqrt(max(grid_tokens, 0))
        if grid_tokens <= 0 or side * side != grid_tokens:
            raise ValueError(f"{op}: {grid_tokens} grid tokens ({length} tokens less "
                             f"{num_prefix_tokens} prefix tokens) do not form a square grid; "
                             f"pass old_grid")
        old_grid = (side, side)
    old_h, old_w = _grid(op, "old_grid", old_grid)
    new_h, new_w = _grid(op, "new_grid", new_grid)
    if old_h * old_w != grid_tokens:
        raise ValueError(f"{op}: old_grid {old_grid!r} has {old_h * old_w} cells but pos_embed "
                         f"has {grid_tokens} grid tokens (shape {tuple(pos_embed.shape)})")
    grid = pos_embed[:, num_prefix_tokens:].reshape(n, old_h, old_w, dim)
    grid = grid.permute(0, 3, 1, 2)                                # (N, D, h, w)
    grid = F.interpolate(grid, size=(new_h, new_w), mode="bilinear", align_corners=False)
    grid = grid.permute(0, 2, 3, 1).reshape(n, new_h * new_w, dim)  # (N, h'·w', D)
    if not num_prefix_tokens:
        return grid
    return F.cat([pos_embed[:, :num_prefix_tokens], grid], dim=1)  # (N, P + h'·w', D)


def resized_parameter(parameter, new_grid, num_prefix_tokens, old_grid=None):
    """A new Parameter holding `parameter` resized by resize_pos_embed (same requires_grad),
    for a model to assign in place of its position embedding."""
    with no_grad():
        resized = resize_pos_embed(parameter, new_grid, num_prefix_tokens, old_grid)
    return Parameter(resized, requires_grad=parameter.requires_grad)
