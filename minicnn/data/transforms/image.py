"""What the transform functions and classes share: image checks, the H×W×C working
layout, argument parsing and the round trip through Pillow.

Layouts: integer arrays (uint8 as datasets return them) are images H×W or H×W×C;
floating arrays are C×H×W (or H×W); a Pillow image is taken as the array
`np.asarray(image)`; a minicnn Tensor, as `to_tensor` makes them, is C×H×W (or H×W)
whatever its dtype, as torchvision takes tensors. Every operation works on the H×W×C view
(`to_hwc`) and gives back the layout it was given (`from_hwc`), a Tensor for a Tensor.
"""
import numbers

import numpy as np

from ... import backend
from ...tensor import Tensor

PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
             "symmetric": "symmetric"}
_RESAMPLE = {"nearest": "NEAREST", "bilinear": "BILINEAR", "bicubic": "BICUBIC"}


TENSOR = "-tensor"   # the suffix of a layout read from a Tensor


def as_image(img, name):
    """`img` as a NumPy array of a supported dtype (Pillow images converted, a Tensor's
    values taken, on the CPU)."""
    if isinstance(img, Tensor):
        img = backend.to_device(img._data, "cpu")
    elif not isinstance(img, np.ndarray):
        if type(img).__module__.startswith("PIL."):
            img = np.asarray(img)
        else:
            raise TypeError(f"{name}: expected a NumPy array (H×W×C integer image or C×H×W "
                            f"float array) or a C×H×W Tensor, got {type(img).__name__}")
    if img.dtype.kind not in "uifb":
        raise TypeError(f"{name}: unsupported image dtype {img.dtype}")
    return img


def to_hwc(img, name):
    """The image as an H×W×C array and the layout to restore ('hw', 'hwc' or 'chw', with
    the suffix TENSOR when `img` is a Tensor)."""
    suffix = TENSOR if isinstance(img, Tensor) else ""
    img = as_image(img, name)
    if img.ndim == 2:
        return img[:, :, None], "hw" + suffix
    if img.ndim == 3:
        if img.dtype.kind == "f" or suffix:
            return img.transpose(1, 2, 0), "chw" + suffix
        return img, "hwc"
    raise ValueError(f"{name}: expected an image of shape H×W, H×W×C (integer dtype) or "
                     f"C×H×W (float dtype or Tensor), got shape {img.shape}")


def from_hwc(hwc, layout):
    if layout.endswith(TENSOR):
        return Tensor._make(from_hwc(hwc, layout[:-len(TENSOR)]))
    if layout == "hw":
        return np.ascontiguousarray(hwc[:, :, 0])
    if layout == "chw":
        return np.ascontiguousarray(hwc.transpose(2, 0, 1))
    return np.ascontiguousarray(hwc)


def pair(size, name, what="size"):
    """(h, w) from an int or a sequence of one or two ints."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (int(size), int(size))
    elif isinstance(size, (tuple, list)) and len(size) in (1, 2):
        size = (int(size[0]), int(size[-1]))
    else:
        raise ValueError(f"{name}: {what} must be an int or a sequence of 1 or 2 ints, "
                         f"got {size!r}")
    if min(size) <= 0:
        raise ValueError(f"{name}: {what} must be positive, got {size}")
    return size


def resize_size(size, name):
    """A resize target: an int (the shorter side) or (h, w)."""
    if isinstance(size, (tuple, list)) and len(size) == 1:
        size = size[0]
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        if size <= 0:
            raise ValueError(f"{name}: size must be positive, got {size}")
        return int(size)
    return pair(size, name)


def mean_std(mean, std, name):
    """Per-channel statistics for normalisation as tuples of floats; std without zeros."""
    mean = tuple(float(m) for m in np.atleast_1d(mean))
    std = tuple(float(s) for s in np.atleast_1d(std))
    if any(s == 0 for s in std):
        raise ValueError(f"{name}: std must not contain zeros, got {std}")
    return mean, std


def shorter_side(shape, size):
    """torchvision's rule: the shorter side becomes `size`, the longer keeps the ratio."""
    h, w = shape
    if h <= w:
        return size, int(size * w / h)
    return int(size * h / w), size


def padding_ltrb(padding, name):
    """(left, top, right, bottom) from torchvision's int / 2-sequence / 4-sequence."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        padding = (int(padding),) * 4
    elif isinstance(padding, (tuple, list)) and len(padding) in (1, 2, 4):
        padding = tuple(int(p) for p in padding)
        if len(padding) == 1:
            padding = padding * 4
        elif len(padding) == 2:
            padding = padding * 2
    else:
        raise ValueError(f"{name}: padding must be an int or a sequence of 1, 2 or 4 ints, "
                         f"got {padding!r}")
    if min(padding) < 0:
        raise ValueError(f"{name}: padding must be non-negative, got {padding}")
    return padding


def check_padding_mode(padding_mode, name):
    if padding_mode not in PAD_MODES:
        raise ValueError(f"{name}: padding_mode must be one of {sorted(PAD_MODES)}, got "
                         f"{padding_mode!r}")
    return padding_mode


def fill_values(fill, channels, name):
    values = np.atleast_1d(np.asarray(fill, dtype=np.float64))
    if values.ndim != 1 or values.size not in (1, channels):
        raise ValueError(f"{name}: fill must be a number or one value per channel "
                         f"({channels}), got {fill!r}")
    return np.broadcast_to(values, (channels,))


def cast_like(values, dtype):
    """Float results back to an image dtype: integers are rounded and clipped to range."""
    if np.dtype(dtype).kind in "ui":
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    if np.dtype(dtype).kind == "b":
        return values >= 0.5
    return values.astype(dtype, copy=False)


def resample_filter(interpolation, name):
    """The Pillow filter for 'nearest', 'bilinear' or 'bicubic'."""
    from PIL import Image

    if interpolation not in _RESAMPLE:
        raise ValueError(f"{name}: interpolation must be one of {sorted(_RESAMPLE)}, "
                         f"got {interpolation!r}")
    return getattr(Image.Resampling, _RESAMPLE[interpolation])


def pillow_apply(hwc, op, fill=None):
    """Apply `op(pil_image, fill)` to an H×W×C array through Pillow: uint8 images with 1, 3
    or 4 channels in one go, anything else channel by channel as 32-bit float images."""
    from PIL import Image

    channels = hwc.shape[2]
    if hwc.dtype == np.uint8 and channels in (1, 3, 4):
        image = Image.fromarray(hwc[:, :, 0] if channels == 1 else np.ascontiguousarray(hwc))
        f = None if fill is None else (int(round(fill[0])) if channels == 1
                                       else tuple(int(round(v)) for v in fill))
        out = np.asarray(op(image, f))
        return out[:, :, None] if out.ndim == 2 else out
    planes = []
    for c in range(channels):
        image = Image.fromarray(np.ascontiguousarray(hwc[:, :, c], dtype=np.float32))
        planes.append(np.asarray(op(image, None if fill is None else float(fill[c]))))
    return cast_like(np.stack(planes, axis=2), hwc.dtype)
