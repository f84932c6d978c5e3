"""A per-channel affine map, the whole of evaluation-mode BatchNorm."""


def channel_affine(x, scale, shift):
    """x (N, C, L), scale and shift (C,) -> y = x·scale[c] + shift[c], in x's dtype."""
    y = x * scale[:, None]
    y += shift[:, None]
    return y
