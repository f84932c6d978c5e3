"""Image transforms on NumPy arrays, in the style of torchvision.transforms.

Layouts: integer arrays (uint8 as datasets return them) are images H×W or H×W×C;
floating arrays are C×H×W (or H×W), as `ToTensor` makes them. Geometric and colour
transforms take both and return the layout and dtype they were given; a Pillow image
is taken as the array `np.asarray(image)`. Resizing and rotation go through Pillow
(so uint8 results match torchvision's on PIL images).

Randomness comes from `minicnn.data.rng.generator()`: minicnn's seeded generator,
or inside a DataLoader a per-batch generator derived from it, so results are
reproducible after `mc.manual_seed` (or with a DataLoader `seed=`).
"""
import math
import numbers

import numpy as np

from .rng import generator as _generator

__all__ = ["CenterCrop", "ColorJitter", "Compose", "GaussianNoise", "Lambda", "Normalize", "Pad",
           "RandomCrop", "RandomHorizontalFlip", "RandomResizedCrop", "RandomRotation",
           "RandomScale", "Resize", "ToTensor"]


# ---- helpers ---------------------------------------------------------------------------

def _as_array(img, name):
    if not isinstance(img, np.ndarray):
        if type(img).__module__.startswith("PIL."):
            img = np.asarray(img)
        else:
            raise TypeError(f"{name}: expected a NumPy array (H×W×C integer image or C×H×W "
                            f"float array), got {type(img).__name__}")
    if img.dtype.kind not in "uifb":
        raise TypeError(f"{name}: unsupported image dtype {img.dtype}")
    return img


def _to_hwc(img, name):
    """The image as an H×W×C array and the layout to restore ('hw', 'hwc' or 'chw')."""
    img = _as_array(img, name)
    if img.ndim == 2:
        return img[:, :, None], "hw"
    if img.ndim == 3:
        if img.dtype.kind == "f":
            return img.transpose(1, 2, 0), "chw"
        return img, "hwc"
    raise ValueError(f"{name}: expected an image of shape H×W, H×W×C (integer dtype) or "
                     f"C×H×W (float dtype), got shape {img.shape}")


def _from_hwc(hwc, layout):
    if layout == "hw":
        return np.ascontiguousarray(hwc[:, :, 0])
    if layout == "chw":
        return np.ascontiguousarray(hwc.transpose(2, 0, 1))
    return np.ascontiguousarray(hwc)


def _pair(size, name, what="size"):
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


def _fill_values(fill, channels, name):
    values = np.atleast_1d(np.asarray(fill, dtype=np.float64))
    if values.ndim != 1 or values.size not in (1, channels):
        raise ValueError(f"{name}: fill must be a number or one value per channel "
                         f"({channels}), got {fill!r}")
    return np.broadcast_to(values, (channels,))


def _cast_like(values, dtype):
    """Float results back to an image dtype: integers are rounded and clipped to range."""
    if np.dtype(dtype).kind in "ui":
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    if np.dtype(dtype).kind == "b":
        return values >= 0.5
    return values.astype(dtype, copy=False)


_RESAMPLE = {"nearest": "NEAREST", "bilinear": "BILINEAR", "bicubic": "BICUBIC"}


def _resample(interpolation, name):
    from PIL import Image

    if interpolation not in _RESAMPLE:
        raise ValueError(f"{name}: interpolation must be one of {sorted(_RESAMPLE)}, "
                         f"got {interpolation!r}")
    return getattr(Image.Resampling, _RESAMPLE[interpolation])


def _pillow_apply(hwc, op, fill=None):
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
    return _cast_like(np.stack(planes, axis=2), hwc.dtype)


def _resize_hwc(hwc, size, interpolation, name):
    h, w = size
    resample = _resample(interpolation, name)
    if hwc.shape[:2] == (h, w):
        return hwc
    return _pillow_apply(hwc, lambda image, _: image.resize((w, h), resample))


def _shorter_side(shape, size):
    """torchvision's rule: the shorter side becomes `size`, the longer keeps the ratio."""
    h, w = shape
    if h <= w:
        return size, int(size * w / h)
    return int(size * h / w), size


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
    """H×W×C (or H×W) uint8 image → C×H×W float32 array in [0, 1] (2-D → 1×H×W).

    Floating input is taken as C×H×W already (2-D becomes 1×H×W) and cast to float32.
    Returns a NumPy array; the DataLoader's collate makes the batch a minicnn Tensor.
    """

    def __call__(self, img):
        img = _as_array(img, "ToTensor")
        if img.ndim not in (2, 3):
            raise ValueError(f"ToTensor: expected an H×W or H×W×C image, got shape {img.shape}")
        if img.dtype.kind == "f":
            out = img.astype(np.float32)
            return out[None] if out.ndim == 2 else out
        if img.dtype not in (np.uint8, np.bool_):
            raise TypeError(f"ToTensor: expected a uint8 image, got dtype {img.dtype}")
        out = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
        scale = np.float32(1 / 255) if img.dtype == np.uint8 else np.float32(1)
        return np.ascontiguousarray(out, dtype=np.float32) * scale

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """(x - mean) / std per channel of a C×H×W float array."""

    def __init__(self, mean, std, inplace=False):
        self.mean = tuple(float(m) for m in np.atleast_1d(mean))
        self.std = tuple(float(s) for s in np.atleast_1d(std))
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std must not contain zeros, got {self.std}")
        self.inplace = inplace

    def __call__(self, x):
        x = _as_array(x, "Normalize")
        if x.dtype.kind != "f" or x.ndim != 3:
            raise TypeError(f"Normalize: expected a C×H×W float array (apply ToTensor first), "
                            f"got shape {x.shape} and dtype {x.dtype}")
        channels = x.shape[0]
        for label, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, channels):
                raise ValueError(f"Normalize: {label} has {len(values)} values but the input "
                                 f"has {channels} channels (shape {x.shape})")
        mean = np.asarray(self.mean, dtype=x.dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=x.dtype).reshape(-1, 1, 1)
        if self.inplace:
            x -= mean
            x /= std
            return x
        return (x - mean) / std

    def __repr__(self):
        return _repr(self, mean=self.mean, std=self.std)


# ---- geometry -------------------------------------------------------------------------------

_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
              "symmetric": "symmetric"}


def _padding(padding, name):
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


def _pad_hwc(hwc, padding, fill, mode, name):
    left, top, right, bottom = padding
    if mode == "constant":
        h, w, c = hwc.shape
        out = np.empty((h + top + bottom, w + left + right, c), dtype=hwc.dtype)
        out[...] = _cast_like(_fill_values(fill, c, name), hwc.dtype)
        out[top:top + h, left:left + w] = hwc
        return out
    return np.pad(hwc, ((top, bottom), (left, right), (0, 0)), mode=_PAD_MODES[mode])


class Pad:
    """Pad the borders. `padding`: int (all sides), (left/right, top/bottom) or
    (left, top, right, bottom). `padding_mode`: constant (with `fill`, a number or one per
    channel), edge, reflect or symmetric."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding = _padding(padding, "Pad")
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"Pad: padding_mode must be one of {sorted(_PAD_MODES)}, got "
                             f"{padding_mode!r}")
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img):
        hwc, layout = _to_hwc(img, "Pad")
        return _from_hwc(_pad_hwc(hwc, self.padding, self.fill, self.padding_mode, "Pad"),
                         layout)

    def __repr__(self):
        return _repr(self, padding=self.padding, fill=self.fill, padding_mode=self.padding_mode)


class CenterCrop:
    """Crop the centre (h, w); an image smaller than that is padded with zeros first."""

    def __init__(self, size):
        self.size = _pair(size, "CenterCrop")

    def __call__(self, img):
        hwc, layout = _to_hwc(img, "CenterCrop")
        th, tw = self.size
        h, w = hwc.shape[:2]
        if th > h or tw > w:
            pad = ((tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                   (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0)
            hwc = _pad_hwc(hwc, pad, 0, "constant", "CenterCrop")
            h, w = hwc.shape[:2]
        top = int(round((h - th) / 2.0))
        left = int(round((w - tw) / 2.0))
        return _from_hwc(hwc[top:top + th, left:left + tw], layout)

    def __repr__(self):
        return _repr(self, size=self.size)


class RandomCrop:
    """Crop a random (h, w) window, after optional padding (as `Pad`)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0,
                 padding_mode="constant"):
        self.size = _pair(size, "RandomCrop")
        self.padding = None if padding is None else _padding(padding, "RandomCrop")
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img):
        hwc, layout = _to_hwc(img, "RandomCrop")
        if self.padding is not None:
            hwc = _pad_hwc(hwc, self.padding, self.fill, self.padding_mode, "RandomCrop")
        th, tw = self.size
        h, w = hwc.shape[:2]
        if self.pad_if_needed and (h < th or w < tw):
            dw, dh = max(tw - w, 0), max(th - h, 0)
            hwc = _pad_hwc(hwc, (dw, dh, dw, dh), self.fill, self.padding_mode, "RandomCrop")
            h, w = hwc.shape[:2]
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: crop size {self.size} is larger than the (padded) "
                             f"image size {(h, w)}")
        rng = _generator()
        top = int(rng.integers(0, h - th + 1))
        left = int(rng.integers(0, w - tw + 1))
        return _from_hwc(hwc[top:top + th, left:left + tw], layout)

    def __repr__(self):
        return _repr(self, size=self.size, padding=self.padding)


class RandomHorizontalFlip:
    """Mirror left-right with probability p."""

    def __init__(self, p=0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = p

    def __call__(self, img):
        hwc, layout = _to_hwc(img, "RandomHorizontalFlip")
        if _generator().random() < self.p:
            hwc = hwc[:, ::-1]
        return _from_hwc(hwc, layout)

    def __repr__(self):
        return _repr(self, p=self.p)


class Resize:
    """Resize to (h, w), or with an int make the shorter side that long and keep the
    aspect ratio (torchvision's rule). Bilinear (antialiased when shrinking) via Pillow."""

    def __init__(self, size, interpolation="bilinear"):
        if isinstance(size, (tuple, list)) and len(size) == 1:
            size = size[0]
        if isinstance(size, numbers.Integral) and not isinstance(size, bool):
            if size <= 0:
                raise ValueError(f"Resize: size must be positive, got {size}")
            self.size = int(size)
        else:
            self.size = _pair(size, "Resize")
        _resample(interpolation, "Resize")
        self.interpolation = interpolation

    def __call__(self, img):
        hwc, layout = _to_hwc(img, "Resize")
        size = self.size
        if isinstance(size, int):
            size = _shorter_side(hwc.shape[:2], size)
        return _from_hwc(_resize_hwc(hwc, size, self.interpolation, "Resize"), layout)

    def __repr__(self):
        return _repr(self, size=self.size, interpolation=self.interpolation)


class RandomResizedCrop:
    """Crop a random area fraction in `scale` with aspect ratio in `ratio` (log-uniform),
    resized to `size` (Inception-style augmentation; torchvision's sampling rule with ten
    tries and a centre-crop fallback)."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), interpolation="bilinear"):
        self.size = _pair(size, "RandomResizedCrop")
        for name, bounds in (("scale", scale), ("ratio", ratio)):
            if not (len(bounds) == 2 and 0 < bounds[0] <= bounds[1]):
                raise ValueError(f"RandomResizedCrop: {name} must be (min, max) with 0 < min "
                                 f"<= max, got {bounds}")
        _resample(interpolation, "RandomResizedCrop")
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
        hwc, layout = _to_hwc(img, "RandomResizedCrop")
        top, left, h, w = self.get_params(*hwc.shape[:2])
        crop = hwc[top:top + h, left:left + w]
        return _from_hwc(_resize_hwc(crop, self.size, self.interpolation, "RandomResizedCrop"),
                         layout)

    def __repr__(self):
        return _repr(self, size=self.size, scale=self.scale,
                     ratio=tuple(round(r, 4) for r in self.ratio),
                     interpolation=self.interpolation)


class RandomScale:
    """Resize the shorter side to a random length in [min_size, max_size] (inclusive),
    keeping the aspect ratio: VGG's multi-scale training (S ∈ [256, 512])."""

    def __init__(self, min_size, max_size, interpolation="bilinear"):
        if not 0 < min_size <= max_size:
            raise ValueError(f"RandomScale: need 0 < min_size <= max_size, got "
                             f"{min_size}, {max_size}")
        _resample(interpolation, "RandomScale")
        self.min_size = int(min_size)
        self.max_size = int(max_size)
        self.interpolation = interpolation

    def __call__(self, img):
        hwc, layout = _to_hwc(img, "RandomScale")
        size = int(_generator().integers(self.min_size, self.max_size + 1))
        size = _shorter_side(hwc.shape[:2], size)
        return _from_hwc(_resize_hwc(hwc, size, self.interpolation, "RandomScale"), layout)

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
        _resample(interpolation, "RandomRotation")
        self.degrees = (float(degrees[0]), float(degrees[1]))
        self.interpolation = interpolation
        self.expand = expand
        self.center = center
        self.fill = fill

    def __call__(self, img):
        hwc, layout = _to_hwc(img, "RandomRotation")
        angle = float(_generator().uniform(*self.degrees))
        resample = _resample(self.interpolation, "RandomRotation")
        fill = _fill_values(self.fill, hwc.shape[2], "RandomRotation")
        out = _pillow_apply(hwc, lambda image, f: image.rotate(
            angle, resample=resample, expand=self.expand, center=self.center, fillcolor=f),
            fill=fill)
        return _from_hwc(out, layout)

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


def _grayscale(x):
    """ITU-R 601-2 luma of an H×W×C float image (C = 1 or 3), as H×W×1."""
    if x.shape[2] == 1:
        return x
    return (x[:, :, :3] @ np.array([0.299, 0.587, 0.114], dtype=x.dtype))[:, :, None]


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
        hwc, layout = _to_hwc(img, "ColorJitter")
        if hwc.shape[2] not in (1, 3):
            raise ValueError(f"ColorJitter: expected 1 or 3 channels, got {hwc.shape[2]}")
        rng = _generator()
        order = rng.permutation(3)
        factors = [None if r is None else float(rng.uniform(*r))
                   for r in (self.brightness, self.contrast, self.saturation)]
        is_int = hwc.dtype.kind in "uib"
        x = hwc.astype(np.float32) / 255 if is_int else hwc.astype(np.float32)
        for i in order:
            f = factors[i]
            if f is None:
                continue
            if i == 0:
                x = x * f
            elif i == 1:
                x = f * x + (1 - f) * _grayscale(x).mean()
            else:
                x = f * x + (1 - f) * _grayscale(x)
            x = np.clip(x, 0, 1)
        out = _cast_like(x * 255, hwc.dtype) if is_int else x.astype(hwc.dtype)
        return _from_hwc(out, layout)

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
        hwc, layout = _to_hwc(img, "GaussianNoise")  # noise drawn in H×W×C order
        noise = _generator().normal(self.mean, self.sigma, size=hwc.shape)
        if hwc.dtype.kind in "uib":
            return _from_hwc(_cast_like(hwc + 255 * noise, hwc.dtype), layout)
        out = hwc + noise.astype(hwc.dtype)
        return _from_hwc(np.clip(out, 0, 1) if self.clip else out, layout)

    def __repr__(self):
        return _repr(self, mean=self.mean, sigma=self.sigma, clip=self.clip)
