"""Image transforms as classes, in the style of torchvision.transforms: each holds its
arguments (checked when it is made), draws its random parameters when called, and applies
the function of minicnn/data/transforms/functional.py that does the work.

Randomness comes from `minicnn.data.rng.generator()`: minicnn's seeded generator,
or inside a DataLoader a per-batch generator derived from it, so results are
reproducible after `mc.manual_seed` (or with a DataLoader `seed=`).
"""
import math
import numbers

import numpy as np

from ..rng import generator as _generator
from . import functional as F
from .image import (as_image, cast_like, check_padding_mode, from_hwc, mean_std, pair,
                    padding_ltrb, resample_filter, resize_size, to_hwc)

__all__ = ["CenterCrop", "ColorJitter", "Compose", "GaussianNoise", "Lambda", "Normalize", "Pad",
           "RandomCrop", "RandomHorizontalFlip", "RandomResizedCrop", "RandomRotation",
           "RandomScale", "Resize", "ToTensor"]


def _repr(obj, **fields):
    body = ", ".join(f"{k}={v!r}" for k, v in fields.items())
    return f"{type(obj).__name__}({body})"


# ---- composition and conversion ------------------------------------------------------------

class Compose:
    """Apply transforms one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: {t!r} is not callable")

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        lines = "".join(f"    {t!r}\n" for t in self.transforms)
        return f"Compose(\n{lines})"


class Lambda:
    """A user function as a transform."""

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError(f"Lambda: {fn!r} is not callable")
        self.fn = fn

    def __call__(self, img):
        return self.fn(img)

    def __repr__(self):
        return f"Lambda({getattr(self.fn, '__name__', repr(self.fn))})"


class ToTensor:
    """H×W×C (or H×W) uint8 image → C×H×W float32 Tensor in [0, 1] (2-D → 1×H×W), as
    torchvision's; a floating array is taken as C×H×W already and cast to float32."""

    def __call__(self, img):
        return F.to_tensor(img)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """(x - mean) / std per channel of a C×H×W float Tensor (or array)."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std = mean_std(mean, std, "Normalize")
        self.inplace = inplace

    def __call__(self, x):
        return F.normalize(x, self.mean, self.std, self.inplace)

    def __repr__(self):
        return _repr(self, mean=self.mean, std=self.std)


# ---- geometry -------------------------------------------------------------------------------

class Pad:
    """Pad the borders. `padding`: int (all sides), (left/right, top/bottom) or
    (left, top, right, bottom). `padding_mode`: constant (with `fill`, a number or one per
    channel), edge, reflect or symmetric."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding = padding_ltrb(padding, "Pad")
        self.fill = fill
        self.padding_mode = check_padding_mode(padding_mode, "Pad")

    def __call__(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return _repr(self, padding=self.padding, fill=self.fill, padding_mode=self.padding_mode)


class CenterCrop:
    """Crop the centre (h, w); an image smaller than that is padded with zeros first."""

    def __init__(self, size):
        self.size = pair(size, "CenterCrop")

    def __call__(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self):
        return _repr(self, size=self.size)


class RandomCrop:
    """Crop a random (h, w) window, after optional padding (as `Pad`)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0,
                 padding_mode="constant"):
        self.size = pair(size, "RandomCrop")
        self.padding = None if padding is None else padding_ltrb(padding, "RandomCrop")
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = check_padding_mode(padding_mode, "RandomCrop")

    def __call__(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        th, tw = self.size
        h, w = F.get_size(img)
        if self.pad_if_needed and (h < th or w < tw):
            dw, dh = max(tw - w, 0), max(th - h, 0)
            img = F.pad(img, (dw, dh, dw, dh), self.fill, self.padding_mode)
            h, w = F.get_size(img)
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: crop size {self.size} is larger than the (padded) "
                             f"image size {(h, w)}")
        rng = _generator()
        top = int(rng.integers(0, h - th + 1))
        left = int(rng.integers(0, w - tw + 1))
        return F.crop(img, top, left, th, tw)

    def __repr__(self):
        return _repr(self, size=self.size, padding=self.padding)


class RandomHorizontalFlip:
    """Mirror left-right with probability p."""

    def __init__(self, p=0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = p

    def __call__(self, img):
        as_image(img, "RandomHorizontalFlip")  # refuses a non-image, flipped or not
        return F.hflip(img) if _generator().random() < self.p else img

    def __repr__(self):
        return _repr(self, p=self.p)


class Resize:
    """Resize to (h, w), or with an int make the shorter side that long and keep the
    aspect ratio (torchvision's rule). Bilinear (antialiased when shrinking) via Pillow."""

    def __init__(self, size, interpolation="bilinear"):
        self.size = resize_size(size, "Resize")
        resample_filter(interpolation, "Resize")
        self.interpolation = interpolation

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation)

    def __repr__(self):
        return _repr(self, size=self.size, interpolation=self.interpolation)


class RandomResizedCrop:
    """Crop a random area fraction in `scale` with aspect ratio in `ratio` (log-uniform),
    resized to `size` (Inception-style augmentation; torchvision's sampling rule with ten
    tries and a centre-crop fallback)."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), interpolation="bilinear"):
        self.size = pair(size, "RandomResizedCrop")
        for name, bounds in (("scale", scale), ("ratio", ratio)):
            if not (len(bounds) == 2 and 0 < bounds[0] <= bounds[1]):
                raise ValueError(f"RandomResizedCrop: {name} must be (min, max) with 0 < min "
                                 f"<= max, got {bounds}")
        resample_filter(interpolation, "RandomResizedCrop")
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.interpolation = interpolation

    def get_params(self, height, width):
        """(top, left, h, w) of the crop."""
        rng = _generator()
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target_area = area * rng.uniform(self.scale[0], self.scale[1])
            aspect = math.exp(rng.uniform(*log_ratio))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                top = int(rng.integers(0, height - h + 1))
                return top, int(rng.integers(0, width - w + 1)), h, w
        in_ratio = width / height
        if in_ratio < self.ratio[0]:
            w, h = width, int(round(width / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            h, w = height, int(round(height * self.ratio[1]))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        top, left, h, w = self.get_params(*F.get_size(img))
        return F.resized_crop(img, top, left, h, w, self.size, self.interpolation)

    def __repr__(self):
        return _repr(self, size=self.size, scale=self.scale,
                     ratio=tuple(round(r, 4) for r in self.ratio),
                     interpolation=self.interpolation)


class RandomScale:
    """Resize the shorter side to a random length in [min_size, max_size] (inclusive),
    keeping the aspect ratio: VGG's multi-scale training (S ∈ [256, 512])."""

    def __init__(self, min_size, max_size, interpolation="bilinear"):
        for name, value in (("min_size", min_size), ("max_size", max_size)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise ValueError(f"RandomScale: {name} must be an integer number of pixels, "
                                 f"got {value!r}")
        if not 0 < min_size <= max_size:
            raise ValueError(f"RandomScale: need 0 < min_size <= max_size, got "
                             f"min_size={min_size}, max_size={max_size}")
        resample_filter(interpolation, "RandomScale")
        self.min_size = int(min_size)
        self.max_size = int(max_size)
        self.interpolation = interpolation

    def __call__(self, img):
        size = int(_generator().integers(self.min_size, self.max_size + 1))
        return F.resize(img, size, self.interpolation)

    def __repr__(self):
        return _repr(self, min_size=self.min_size, max_size=self.max_size,
                     interpolation=self.interpolation)


class RandomRotation:
    """Rotate by an angle uniform in [-degrees, degrees] (or [min, max]), counter-clockwise,
    about the centre (or `center`=(x, y)); corners are filled with `fill`."""

    def __init__(self, degrees, interpolation="nearest", expand=False, center=None, fill=0):
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError(f"RandomRotation: degrees must be non-negative when a single "
                                 f"number, got {degrees}")
            degrees = (-degrees, degrees)
        elif not (isinstance(degrees, (tuple, list)) and len(degrees) == 2
                  and degrees[0] <= degrees[1]):
            raise ValueError(f"RandomRotation: degrees must be a number or (min, max), got "
                             f"{degrees!r}")
        resample_filter(interpolation, "RandomRotation")
        self.degrees = (float(degrees[0]), float(degrees[1]))
        self.interpolation = interpolation
        self.expand = expand
        self.center = center
        self.fill = fill

    def __call__(self, img):
        angle = float(_generator().uniform(*self.degrees))
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)

    def __repr__(self):
        return _repr(self, degrees=self.degrees, interpolation=self.interpolation,
                     expand=self.expand, fill=self.fill)


# ---- colour and noise ----------------------------------------------------------------------

def _jitter_range(value, name, center=1.0, lower=0.0):
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"ColorJitter: {name} must be non-negative, got {value}")
        value = (max(center - value, lower), center + value)
    elif not (isinstance(value, (tuple, list)) and len(value) == 2
              and lower <= value[0] <= value[1]):
        raise ValueError(f"ColorJitter: {name} must be a number or (min, max) with "
                         f"{lower} <= min <= max, got {value!r}")
    value = (float(value[0]), float(value[1]))
    return None if value == (center, center) else value


class ColorJitter:
    """Random brightness, contrast and saturation, applied in a random order.

    Each factor is drawn uniformly from [max(0, 1 - v), 1 + v] (or the given (min, max)):
    brightness scales the image, contrast blends it with its mean grey level, saturation
    with its greyscale version. uint8 images are processed in [0, 1] and rounded back;
    float images are clipped to [0, 1].
    """

    def __init__(self, brightness=0, contrast=0, saturation=0):
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")

    def __call__(self, img):
        hwc, layout = to_hwc(img, "ColorJitter")
        if hwc.shape[2] not in (1, 3):
            raise ValueError(f"ColorJitter: expected 1 or 3 channels, got {hwc.shape[2]}")
        rng = _generator()
        order = rng.permutation(3)
        factors = [None if r is None else float(rng.uniform(*r))
                   for r in (self.brightness, self.contrast, self.saturation)]
        is_int = hwc.dtype.kind in "uib"
        # one float32 C×H×W image on [0, 1] through every adjustment, rounded back once
        x = from_hwc(hwc.astype(np.float32) / 255 if is_int else hwc.astype(np.float32), "chw")
        adjust = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation)
        for i in order:
            if factors[i] is not None:
                x = adjust[i](x, factors[i])
        x = x.transpose(1, 2, 0)
        out = cast_like(x * 255, hwc.dtype) if is_int else x.astype(hwc.dtype)
        return from_hwc(out, layout)

    def __repr__(self):
        return _repr(self, brightness=self.brightness, contrast=self.contrast,
                     saturation=self.saturation)


class GaussianNoise:
    """Add N(mean, sigma²) noise; sigma is on the [0, 1] scale (×255 for uint8 images).
    With `clip`, float results are clipped to [0, 1]; integer images are always rounded
    and clipped to their range."""

    def __init__(self, mean=0.0, sigma=0.1, clip=True):
        if sigma < 0:
            raise ValueError(f"GaussianNoise: sigma must be non-negative, got {sigma}")
        self.mean = float(mean)
        self.sigma = float(sigma)
        self.clip = clip

    def __call__(self, img):
        return F.gaussian_noise(img, self.mean, self.sigma, self.clip)

    def __repr__(self):
        return _repr(self, mean=self.mean, sigma=self.sigma, clip=self.clip)
