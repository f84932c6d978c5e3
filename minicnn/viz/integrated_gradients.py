"""Integrated gradients (Sundararajan et al., 2017): the input gradient averaged along the
straight path from a baseline to the image, times the distance travelled."""
import numpy as np

from .. import backend
from ..tensor import Tensor
from .arguments import check_images, check_model, check_steps, check_target
from .inspection import IMAGES_PER_PASS, input_gradient, inspecting


def _baseline(fn, baseline, x):
    """The path's start as an array shaped like x: zeros for None, else a tensor like x."""
    xp = backend.xp_of(x._data)
    if baseline is None:
        return xp.zeros(x.shape, dtype=x.dtype)
    if not isinstance(baseline, Tensor) or tuple(baseline.shape) != tuple(x.shape):
        got = f"shape {tuple(baseline.shape)}" if isinstance(baseline, Tensor) else \
            repr(baseline)
        raise ValueError(f"{fn}: baseline must be None (zeros) or a tensor shaped like x "
                         f"{tuple(x.shape)}, got {got}")
    return xp.asarray(baseline._data, dtype=x.dtype)


def path_weights(steps):
    """(alphas, weights) of the trapezoid rule on [0, 1] as captum's "riemann_trapezoid":
    `steps` points linspace(0, 1, steps), each weighted 1/steps, the two ends half that."""
    weights = np.full(steps, 1.0 / steps)
    weights[[0, -1]] /= 2
    return np.linspace(0.0, 1.0, steps), weights


def integrated_gradients(model, x, target, baseline=None, steps=50):
    """(x − baseline) · Σ_k w_k ∂ logit[target] / ∂ x at baseline + α_k (x − baseline), for
    each image of the batch `x`: a Tensor shaped like x.

    α_k and w_k are `path_weights(steps)` (steps ≥ 2); `baseline` is None (zeros) or a
    tensor shaped like x. `target`: one class for every image or one per image.
    """
    fn = "integrated_gradients"
    check_model(fn, model)
    check_images(fn, x)
    targets = check_target(fn, target, x.shape[0])
    steps = check_steps(fn, steps)
    start = _baseline(fn, baseline, x)
    xp = backend.xp_of(x._data)
    distance = x._data - start
    alphas, weights = path_weights(steps)
    n = x.shape[0]
    per_pass = max(1, IMAGES_PER_PASS // n)
    total = xp.zeros(x.shape, dtype=x.dtype)
    with inspecting(model):
        for first in range(0, steps, per_pass):
            chunk = range(first, min(first + per_pass, steps))
            points = xp.concatenate([start + alphas[k].astype(x.dtype) * distance
                                     for k in chunk])
            gradients = input_gradient(fn, model, Tensor._make(points),
                                       np.tile(targets, len(chunk)))
            for j, k in enumerate(chunk):
                total += weights[k].astype(x.dtype) * gradients[j * n:(j + 1) * n]
    return Tensor._make(total * distance)
