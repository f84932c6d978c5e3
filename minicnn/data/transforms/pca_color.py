"""AlexNet's PCA colour augmentation ("fancy PCA"; Krizhevsky, Sutskever and Hinton,
"ImageNet Classification with Deep Convolutional Neural Networks", 2012, section 4.1).

The RGB values of the training set have a 3×3 covariance with eigenvectors p_i and
eigenvalues λ_i. Each time an image is drawn, every one of its pixels is shifted by the same

    Σ_i α_i λ_i p_i,   α_i ~ N(0, 0.1²),

so that the offset d has the covariance P diag(σ² λ_i²) Pᵀ: colour changes along the
directions in which the data's colours vary, a change of the illumination's intensity and
colour that leaves an object what it is. `rgb_pca` computes (λ, P) from a dataset, on the
[0, 1] scale of ToTensor's output; `PCAColorJitter` draws α and adds the offset on that scale
(×255 for integer images, then rounded and clipped).
"""
import numbers

import numpy as np

from ..rng import generator as _generator
from .image import cast_like, from_hwc, to_hwc

__all__ = ["PCAColorJitter", "rgb_pca"]


def _rgb_pixels(item, name):
    """The (H·W, 3) float64 RGB values on [0, 1] of an image or a dataset's (image, label)."""
    image = item[0] if isinstance(item, tuple) else item
    hwc, _ = to_hwc(image, name)
    if hwc.shape[2] != 3:
        raise ValueError(f"{name}: expected RGB images (3 channels), got {hwc.shape[2]} "
                         f"channel(s)")
    pixels = hwc.reshape(-1, 3).astype(np.float64)
    return pixels / 255 if hwc.dtype.kind in "ui" else pixels


def rgb_pca(images, max_images=None):
    """(eigenvalues λ, shape (3,), descending; eigenvectors P, shape (3, 3), one per column) of
    the covariance of the RGB values of every pixel of `images`, on the [0, 1] scale.

    `images`: a dataset (items image or (image, label)) or a sequence of images, in any
    layout the transforms take. `max_images`: use that many, evenly spaced, instead of all.
    Each image's mean and centred scatter are merged into the running ones (Chan et al.'s
    pairwise update), so no sum of squares of raw values is ever formed."""
    count = len(images)
    if count == 0:
        raise ValueError("rgb_pca: images is empty")
    if max_images is not None and (not isinstance(max_images, numbers.Integral)
                                   or max_images < 1):
        raise ValueError(f"rgb_pca: max_images must be a positive integer, got {max_images!r}")
    chosen = range(count) if max_images is None or max_images >= count else \
        np.unique(np.linspace(0, count - 1, max_images).round().astype(int))
    seen, mean, scatter = 0, np.zeros(3), np.zeros((3, 3))
    for index in chosen:
        pixels = _rgb_pixels(images[int(index)], "rgb_pca")
        n = len(pixels)
        own_mean = pixels.mean(axis=0)
        centred = pixels - own_mean
        delta = own_mean - mean
        total = seen + n
        scatter += centred.T @ centred + np.outer(delta, delta) * seen * n / total
        mean += delta * n / total
        seen = total
    if seen < 2:
        raise ValueError("rgb_pca: need at least 2 pixels for a covariance")
    eigval, eigvec = np.linalg.eigh(scatter / (seen - 1))
    order = np.argsort(eigval)[::-1]
    return np.clip(eigval[order], 0, None), eigvec[:, order]


class PCAColorJitter:
    """Shift every pixel of an RGB image by Σ_i α_i λ_i p_i with α_i ~ N(0, alpha_std²) drawn
    anew for each call (each image, each epoch): AlexNet's PCA colour augmentation.

    `eigval` (λ, shape (3,)) and `eigvec` (P, shape (3, 3), eigenvectors in columns) are
    `rgb_pca`'s output for the training set. The offset is on the [0, 1] scale: a float
    image (C×H×W, as ToTensor gives) takes it as it is, unclipped, as in the paper; an integer
    image (H×W×3) takes 255 × it, rounded and clipped to its range."""

    def __init__(self, eigval, eigvec, alpha_std=0.1):
        eigval = np.asarray(eigval, dtype=np.float64)
        eigvec = np.asarray(eigvec, dtype=np.float64)
        if eigval.shape != (3,) or not np.all(np.isfinite(eigval)) or np.any(eigval < 0):
            raise ValueError(f"PCAColorJitter: eigval must be 3 finite non-negative numbers, "
                             f"got {eigval.tolist()!r}")
        if eigvec.shape != (3, 3) or not np.all(np.isfinite(eigvec)):
            raise ValueError(f"PCAColorJitter: eigvec must be a finite 3×3 matrix, got shape "
                             f"{eigvec.shape}")
        if not (isinstance(alpha_std, numbers.Real) and 0 <= alpha_std < float("inf")):
            raise ValueError(f"PCAColorJitter: alpha_std must be a finite number >= 0, got "
                             f"{alpha_std!r}")
        self.eigval, self.eigvec, self.alpha_std = eigval, eigvec, float(alpha_std)

    def offset(self):
        """One draw of the RGB offset Σ_i α_i λ_i p_i, shape (3,), on the [0, 1] scale."""
        alpha = _generator().normal(0.0, self.alpha_std, 3)
        return self.eigvec @ (alpha * self.eigval)

    def __call__(self, img):
        hwc, layout = to_hwc(img, "PCAColorJitter")
        if hwc.shape[2] != 3:
            raise ValueError(f"PCAColorJitter: expected an RGB image (3 channels), got "
                             f"{hwc.shape[2]} channel(s)")
        shift = self.offset()
        if hwc.dtype.kind in "uib":
            out = cast_like(hwc.astype(np.float64) + 255 * shift, hwc.dtype)
        else:
            out = (hwc + shift).astype(hwc.dtype)
        return from_hwc(out, layout)

    def __repr__(self):
        values = ", ".join(f"{v:.4g}" for v in self.eigval)
        return f"PCAColorJitter(eigval=[{values}], alpha_std={self.alpha_std})"
