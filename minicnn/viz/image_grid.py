"""Tiles laid out in a grid, and maps scaled to [0, 1], for display."""
import math

import numpy as np

from .. import backend
from ..functional import interpolate
from ..tensor import Tensor


def normalize(values):
    """`values` (a Tensor or array) scaled per image to [0, 1]: (v − min) / (max − min)
    over each image of the batch; all zeros where an image is constant up to rounding (an
    upsampled 1×1 map), whose noise would otherwise fill the range. A Tensor."""
    array = values._data if isinstance(values, Tensor) else values
    xp = backend.xp_of(array)
    axes = tuple(range(1, array.ndim))
    low = array.min(axis=axes, keepdims=True)
    span = array.max(axis=axes, keepdims=True) - low
    rounding = 64 * np.finfo(array.dtype).eps * abs(array).max(axis=axes, keepdims=True)
    flat = span <= rounding
    return Tensor._make(xp.where(flat, 0, (array - low) / xp.where(flat, 1, span)))


def upsample(maps, size):
    """(N, C, h, w) maps resized bilinearly to size (H, W), e.g. a Grad-CAM map to its
    image's side for an overlay."""
    return interpolate(maps, size=size, mode="bilinear", align_corners=False)


def grid(tiles, columns=None, padding=1, pad_value=1.0):
    """(rows · h + padding, ...) image of the (K, h, w) or (K, h, w, 3) NumPy `tiles`, laid
    out row by row, `columns` wide (default: about square), with `padding` pixels of
    `pad_value` between and around them."""
    count, height, width = tiles.shape[:3]
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    shape = (rows * (height + padding) + padding, columns * (width + padding) + padding)
    image = np.full(shape + tiles.shape[3:], pad_value, dtype=tiles.dtype)
    for k in range(count):
        top = padding + (k // columns) * (height + padding)
        left = padding + (k % columns) * (width + padding)
        image[top:top + height, left:left + width] = tiles[k]
    return image
