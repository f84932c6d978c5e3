"""torchvision.utils' image helpers: `make_grid` tiles a batch of images into one image,
`save_image` writes one (or a grid) to a file. Both take values as torchvision does: float
images in [0, 1] (or rescaled with `normalize=True`)."""
import math

import numpy as np
from PIL import Image

from .. import backend
from ..tensor import Tensor


def _as_batch(tensor):
    """A B×C×H×W array from a Tensor (C×H×W, H×W or a batch) or a list of C×H×W tensors."""
    if isinstance(tensor, (list, tuple)):
        if not all(isinstance(t, Tensor) for t in tensor):
            raise TypeError("make_grid: a list must hold Tensors")
        array = np.stack([backend.to_device(t._data, "cpu") for t in tensor])
    elif isinstance(tensor, Tensor):
        array = backend.to_device(tensor._data, "cpu")
    else:
        raise TypeError(f"make_grid: expected a Tensor or a list of Tensors, got "
                        f"{type(tensor).__name__}")
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4:
        raise ValueError(f"make_grid: expected a 2-D, 3-D or 4-D tensor, got shape "
                         f"{tuple(array.shape)}")
    if array.shape[1] == 1:
        array = np.concatenate([array] * 3, axis=1)
    return array


def _rescale(array, value_range):
    """Clip to `value_range` (default: the array's own min and max) and map it onto [0, 1]."""
    low, high = value_range if value_range is not None else (float(array.min()),
                                                             float(array.max()))
    clipped = np.clip(array, low, high)
    return (clipped - low) / max(high - low, 1e-5)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Images (B×C×H×W, or a list of C×H×W) tiled `nrow` per row into one C×H'×W' Tensor,
    `padding` pixels of `pad_value` around each, as torchvision's make_grid (one-channel
    images become three). `normalize` maps `value_range` (default: the batch's min and max,
    or each image's with `scale_each`) onto [0, 1]. Not differentiable."""
    batch = _as_batch(tensor)
    dtype = batch.dtype
    if normalize:
        batch = batch.astype(np.float64)
        if scale_each:
            batch = np.stack([_rescale(image, value_range) for image in batch])
        else:
            batch = _rescale(batch, value_range)
        batch = batch.astype(dtype)
    if batch.shape[0] == 1:
        return Tensor._make(np.ascontiguousarray(batch[0]))
    count, channels, height, width = batch.shape
    columns = min(nrow, count)
    rows = math.ceil(count / columns)
    cell_h, cell_w = height + padding, width + padding
    grid = np.full((channels, cell_h * rows + padding, cell_w * columns + padding), pad_value,
                   dtype=dtype)
    for k in range(count):
        top, left = (k // columns) * cell_h + padding, (k % columns) * cell_w + padding
        grid[:, top:top + height, left:left + width] = batch[k]
    return Tensor._make(grid)


def save_image(tensor, fp, format=None, **grid_options):
    """Write `tensor` (an image, or a batch tiled by make_grid with `grid_options`) to `fp`
    (a path or a binary file; `format` as Pillow takes it), its [0, 1] values scaled to
    0..255 and rounded, as torchvision's save_image."""
    grid = make_grid(tensor, **grid_options)._data
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    Image.fromarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels).save(fp, format=format)
