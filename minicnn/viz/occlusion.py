"""Occlusion (Zeiler & Fergus, 2014): how much the target logit drops when a patch of the
input is hidden."""
import itertools
import math

import numpy as np

from .. import backend, grad_mode
from ..functional._validate import is_int, is_real
from ..tensor import Tensor
from .arguments import check_images, check_model, check_target
from .inspection import IMAGES_PER_PASS, inspecting, logits_of, target_logits


def _triple(fn, name, value, dims=None):
    """(c, h, w) from an int (stride only) or three ints, each positive and, for the window,
    at most the image's size along that dimension."""
    if is_int(value) and dims is None:
        value = (value,) * 3
    if not (isinstance(value, (tuple, list)) and len(value) == 3 and all(map(is_int, value))):
        what = "three ints (C, H, W)" if dims else "an int or three ints (C, H, W)"
        raise TypeError(f"{fn}: {name} must be {what}, got {value!r}")
    if any(v < 1 for v in value):
        raise ValueError(f"{fn}: {name} must be positive, got {tuple(value)}")
    if dims is not None and any(v > d for v, d in zip(value, dims)):
        raise ValueError(f"{fn}: {name} {tuple(value)} is larger than an image "
                         f"{tuple(dims)}")
    return tuple(int(v) for v in value)


def _baseline(fn, baseline, x):
    """The value hidden patches take: a number, or an array shaped like x."""
    if isinstance(baseline, Tensor):
        if tuple(baseline.shape) != tuple(x.shape):
            raise ValueError(f"{fn}: baseline must be a number or a tensor shaped like x "
                             f"{tuple(x.shape)}, got shape {tuple(baseline.shape)}")
        return backend.xp_of(x._data).asarray(baseline._data, dtype=x.dtype)
    if not is_real(baseline):
        raise TypeError(f"{fn}: baseline must be a number or a tensor shaped like x, got "
                        f"{baseline!r}")
    return float(baseline)


def windows(dims, window, stride):
    """The windows' slices, one (C, H, W) triple per position: ceil((D − w) / s) + 1 starts
    per dimension, i·s, the last window clipped at the edge."""
    starts = [range(0, s * (math.ceil((d - w) / s) + 1), s)
              for d, w, s in zip(dims, window, stride)]
    return [tuple(slice(b, min(b + w, d)) for b, w, d in zip(begin, window, dims))
            for begin in itertools.product(*starts)]


def occlusion(model, x, target, window, stride, baseline=0.0):
    """For each element of each image, the mean over the windows covering it of how much
    the target logit drops when that window is set to `baseline` (the logit of the image
    minus the logit of the occluded image): a Tensor shaped like the (N, C, H, W) batch `x`.

    `window` is (C, H, W); `stride` an int or (C, H, W), at most the window along any
    dimension the window does not span whole (else some elements would be in no window).
    Windows start at multiples of the stride, the last one clipped at the edge, as captum's
    Occlusion. `baseline`: a number, or a tensor shaped like x. `target`: one class for
    every image or one per image.
    """
    fn = "occlusion"
    check_model(fn, model)
    check_images(fn, x, ndim=4)
    targets = check_target(fn, target, x.shape[0])
    dims = tuple(x.shape[1:])
    window = _triple(fn, "window", window, dims)
    stride = _triple(fn, "stride", stride)
    if any(s > w < d for s, w, d in zip(stride, window, dims)):
        raise ValueError(f"{fn}: stride {stride} must not exceed window {window} along a "
                         f"dimension the window does not cover whole (image {dims})")
    fill = _baseline(fn, baseline, x)
    regions = windows(dims, window, stride)
    n = x.shape[0]
    xp = backend.xp_of(x._data)
    total = np.zeros(x.shape, dtype=x.dtype)
    count = np.zeros(dims, dtype=x.dtype)
    per_pass = max(1, IMAGES_PER_PASS // n)
    with inspecting(model), grad_mode.no_grad():
        plain = target_logits(fn, logits_of(fn, model(Tensor._make(x._data.copy()))), targets)
        for first in range(0, len(regions), per_pass):
            chunk = regions[first:first + per_pass]
            batch = xp.stack([x._data] * len(chunk))             # (k, N, C, H, W)
            for j, region in enumerate(chunk):
                hidden = fill if isinstance(fill, float) else fill[(slice(None),) + region]
                batch[(j, slice(None)) + region] = hidden
            logits = logits_of(fn, model(Tensor._make(batch.reshape((-1,) + dims))))
            drop = plain - target_logits(fn, logits, np.tile(targets, len(chunk))) \
                .reshape(len(chunk), n)
            for j, region in enumerate(chunk):
                total[(slice(None),) + region] += drop[j].reshape(n, 1, 1, 1)
                count[region] += 1
    return Tensor._make(xp.asarray(total / count))
