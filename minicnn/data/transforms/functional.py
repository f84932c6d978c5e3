"""The transforms as functions of one image and explicit parameters, as
torchvision.transforms.functional: `from minicnn.data.transforms import functional as TF`.

The classes of minicnn/data/transforms/transforms.py draw their random parameters and
call these. Images are NumPy arrays (or Pillow images): integer H×W or H×W×C, floating
C×H×W or H×W, or C×H×W Tensors (see minicnn/data/transforms/image.py); every function
returns the layout, type and dtype it was given, except `to_tensor`, which makes the
float32 C×H×W Tensor. Resizing and rotation go through Pillow, so uint8 results match
torchvision's on PIL images.
"""
import numpy as np

from ...tensor import Tensor
from ..rng import generator
from .image import (as_image, cast_like, check_padding_mode, fill_values, from_hwc, mean_std,
                    pair, padding_ltrb, pillow_apply, resample_filter, resize_size,
                    shorter_side, to_hwc)

__all__ = ["adjust_brightness", "adjust_contrast", "adjust_saturation", "center_crop", "crop",
           "gaussian_noise", "get_size", "hflip", "normalize", "pad", "resize", "resized_crop",
           "rotate", "to_tensor", "vflip"]


def get_size(img):
    """(height, width) of an image in any of the layouts."""
    return tuple(to_hwc(img, "get_size")[0].shape[:2])


# ---- conversion --------------------------------------------------------------------------

def to_tensor(pic):
    """H×W×C (or H×W) uint8 image → C×H×W float32 Tensor in [0, 1] (2-D → 1×H×W), as
    torchvision's: so the transforms after it (Normalize, a Lambda calling tensor ops) and
    the DataLoader's collate get a Tensor.

    A floating array is taken as C×H×W already (2-D becomes 1×H×W) and cast to float32. A
    Tensor is refused, as torchvision refuses it: it has been converted already.
    """
    if isinstance(pic, Tensor):
        raise TypeError("to_tensor: pic should be a NumPy array or a Pillow image, got a "
                        "Tensor (it is converted already)")
    img = as_image(pic, "to_tensor")
    if img.ndim not in (2, 3):
        raise ValueError(f"to_tensor: expected an H×W or H×W×C image, got shape {img.shape}")
    if img.dtype.kind == "f":
        out = img.astype(np.float32)
        return Tensor._make(out[None] if out.ndim == 2 else out)
    if img.dtype not in (np.uint8, np.bool_):
        raise TypeError(f"to_tensor: expected a uint8 image, got dtype {img.dtype}")
    out = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
    scale = np.float32(1 / 255) if img.dtype == np.uint8 else np.float32(1)
    return Tensor._make(np.ascontiguousarray(out, dtype=np.float32) * scale)


def normalize(tensor, mean, std, inplace=False):
    """(x - mean) / std per channel of a C×H×W float Tensor (or array); one value, or one
    per channel. `inplace` writes into the input's memory (a CPU Tensor's or the array)."""
    mean, std = mean_std(mean, std, "normalize")
    if isinstance(tensor, Tensor):
        out = normalize(as_image(tensor, "normalize"), mean, std, inplace)
        return tensor if inplace and not tensor.is_cuda else Tensor._make(out)
    x = as_image(tensor, "normalize")
    if x.dtype.kind != "f" or x.ndim != 3:
        raise TypeError(f"normalize: expected a C×H×W float array (apply ToTensor first), "
                        f"got shape {x.shape} and dtype {x.dtype}")
    channels = x.shape[0]
    for label, values in (("mean", mean), ("std", std)):
        if len(values) not in (1, channels):
            raise ValueError(f"normalize: {label} has {len(values)} values but the input "
                             f"has {channels} channels (shape {x.shape})")
    mean = np.asarray(mean, dtype=x.dtype).reshape(-1, 1, 1)
    std = np.asarray(std, dtype=x.dtype).reshape(-1, 1, 1)
    if inplace:
        x -= mean
        x /= std
        return x
    return (x - mean) / std


# ---- geometry ----------------------------------------------------------------------------

def _pad_hwc(hwc, padding, fill, mode, name):
    left, top, right, bottom = padding
    if mode == "constant":
        h, w, c = hwc.shape
        out = np.empty((h + top + bottom, w + left + right, c), dtype=hwc.dtype)
        out[...] = cast_like(fill_values(fill, c, name), hwc.dtype)
        out[top:top + h, left:left + w] = hwc
        return out
    return np.pad(hwc, ((top, bottom), (left, right), (0, 0)), mode=mode)


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the borders. `padding`: int (all sides), (left/right, top/bottom) or
    (left, top, right, bottom). `padding_mode`: constant (with `fill`, a number or one per
    channel), edge, reflect or symmetric."""
    padding = padding_ltrb(padding, "pad")
    check_padding_mode(padding_mode, "pad")
    hwc, layout = to_hwc(img, "pad")
    return from_hwc(_pad_hwc(hwc, padding, fill, padding_mode, "pad"), layout)


def _window(hwc, top, left, height, width, name):
    """hwc[top:top + height, left:left + width], refused unless it lies inside the image."""
    h, w = hwc.shape[:2]
    if height <= 0 or width <= 0 or top < 0 or left < 0 or top + height > h \
            or left + width > w:
        raise ValueError(f"{name}: the window top={top}, left={left}, height={height}, "
                         f"width={width} does not lie inside the image of size {(h, w)}")
    return hwc[top:top + height, left:left + width]


def crop(img, top, left, height, width):
    """The (height, width) window whose top-left corner is (top, left)."""
    hwc, layout = to_hwc(img, "crop")
    return from_hwc(_window(hwc, top, left, height, width, "crop"), layout)


def center_crop(img, output_size):
    """Crop the centre (h, w); an image smaller than that is padded with zeros first."""
    th, tw = pair(output_size, "center_crop")
    hwc, layout = to_hwc(img, "center_crop")
    h, w = hwc.shape[:2]
    if th > h or tw > w:
        padding = ((tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                   (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0)
        hwc = _pad_hwc(hwc, padding, 0, "constant", "center_crop")
        h, w = hwc.shape[:2]
    top = int(round((h - th) / 2.0))
    left = int(round((w - tw) / 2.0))
    return from_hwc(hwc[top:top + th, left:left + tw], layout)


def hflip(img):
    """Mirror left-right."""
    hwc, layout = to_hwc(img, "hflip")
    return from_hwc(hwc[:, ::-1], layout)


def vflip(img):
    """Mirror top-bottom."""
    hwc, layout = to_hwc(img, "vflip")
    return from_hwc(hwc[::-1], layout)


def _resize_hwc(hwc, size, interpolation, name):
    h, w = size
    resample = resample_filter(interpolation, name)
    if hwc.shape[:2] == (h, w):
        return hwc
    return pillow_apply(hwc, lambda image, _: image.resize((w, h), resample))


def resize(img, size, interpolation="bilinear"):
    """Resize to (h, w), or with an int make the shorter side that long and keep the
    aspect ratio (torchvision's rule). Antialiased when shrinking, through Pillow."""
    size = resize_size(size, "resize")
    hwc, layout = to_hwc(img, "resize")
    if isinstance(size, int):
        size = shorter_side(hwc.shape[:2], size)
    return from_hwc(_resize_hwc(hwc, size, interpolation, "resize"), layout)


def resized_crop(img, top, left, height, width, size, interpolation="bilinear"):
    """`crop` then `resize` to (h, w) = `size`, in one pass."""
    size = pair(size, "resized_crop")
    hwc, layout = to_hwc(img, "resized_crop")
    window = _window(hwc, top, left, height, width, "resized_crop")
    return from_hwc(_resize_hwc(window, size, interpolation, "resized_crop"), layout)


def rotate(img, angle, interpolation="nearest", expand=False, center=None, fill=0):
    """Rotate by `angle` degrees counter-clockwise about the centre (or `center`=(x, y));
    corners are filled with `fill` (a number or one per channel)."""
    resample = resample_filter(interpolation, "rotate")
    hwc, layout = to_hwc(img, "rotate")
    fill = fill_values(fill, hwc.shape[2], "rotate")
    out = pillow_apply(hwc, lambda image, f: image.rotate(
        angle, resample=resample, expand=expand, center=center, fillcolor=f), fill=fill)
    return from_hwc(out, layout)


# ---- colour and noise --------------------------------------------------------------------

def _grayscale(x):
    """ITU-R 601-2 luma of an H×W×C float image (C = 1 or 3), as H×W×1."""
    if x.shape[2] == 1:
        return x
    return (x[:, :, :3] @ np.array([0.299, 0.587, 0.114], dtype=x.dtype))[:, :, None]


def _adjust(img, name, blend):
    """`blend` applied to the image in float32 on [0, 1] (uint8 scaled by 1/255), clipped to
    [0, 1], and given back in the image's dtype (integers rounded)."""
    hwc, layout = to_hwc(img, name)
    if hwc.shape[2] not in (1, 3):
        raise ValueError(f"{name}: expected 1 or 3 channels, got {hwc.shape[2]}")
    is_int = hwc.dtype.kind in "uib"
    # one memory order whatever the image's, so that the luma sums round the same way
    x = np.ascontiguousarray(hwc, dtype=np.float32)
    x = np.clip(blend(x / 255 if is_int else x), 0, 1)
    out = cast_like(x * 255, hwc.dtype) if is_int else x.astype(hwc.dtype)
    return from_hwc(out, layout)


def adjust_brightness(img, brightness_factor):
    """The image scaled by `brightness_factor` (0: black, 1: unchanged)."""
    return _adjust(img, "adjust_brightness", lambda x: x * brightness_factor)


def adjust_contrast(img, contrast_factor):
    """The image blended with its mean grey level (0: uniform grey, 1: unchanged)."""
    f = contrast_factor
    return _adjust(img, "adjust_contrast", lambda x: f * x + (1 - f) * _grayscale(x).mean())


def adjust_saturation(img, saturation_factor):
    """The image blended with its greyscale version (0: grey, 1: unchanged)."""
    f = saturation_factor
    return _adjust(img, "adjust_saturation", lambda x: f * x + (1 - f) * _grayscale(x))


def gaussian_noise(img, mean=0.0, sigma=0.1, clip=True):
    """Add N(mean, sigma²) noise drawn from minicnn.data.rng.generator(); sigma is on the
    [0, 1] scale (×255 for integer images). With `clip`, float results are clipped to
    [0, 1]; integer images are always rounded and clipped to their range."""
    hwc, layout = to_hwc(img, "gaussian_noise")  # noise drawn in H×W×C order
    noise = generator().normal(mean, sigma, size=hwc.shape)
    if hwc.dtype.kind in "uib":
        return from_hwc(cast_like(hwc + 255 * noise, hwc.dtype), layout)
    out = hwc + noise.astype(hwc.dtype)
    return from_hwc(np.clip(out, 0, 1) if clip else out, layout)
