"""A convolution's weights as pictures: the first layer's filters show the edges and
colour blobs a network learned to look for."""
import numpy as np

from .. import backend
from ..nn import Conv2d
from .image_grid import grid


def filters(layer, columns=None):
    """A NumPy image, scaled to [0, 1] over all the weights together (so filters compare by
    strength), of an nn.Conv2d's filters laid out in a grid, white lines between them.

    A layer with 3 input channels gives one RGB tile per filter, (H, W, 3); any other gives
    gray tiles (H, W): one per filter for one input channel, else one row per filter with a
    tile per input channel. `columns`: tiles per row (default: about square, or the input
    channels).
    """
    if not isinstance(layer, Conv2d):
        raise TypeError(f"filters: layer must be an nn.Conv2d, got {type(layer).__name__}")
    weight = backend.to_device(layer.weight._data, "cpu").astype(np.float64)
    low, high = weight.min(), weight.max()
    scaled = (weight - low) / (high - low) if high > low else np.zeros_like(weight)
    out_channels, in_channels = scaled.shape[:2]
    if in_channels == 3:
        return grid(scaled.transpose(0, 2, 3, 1), columns)
    if in_channels == 1:
        return grid(scaled[:, 0], columns)
    return grid(scaled.reshape((-1,) + scaled.shape[2:]), columns or in_channels)
