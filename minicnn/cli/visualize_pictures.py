"""What `minicnn visualize` draws for each method: the mc.viz result for one image, turned
into a picture beside it (arrays in [0, 1], or a signed map drawn around 0)."""
import difflib

import numpy as np

from .. import viz
from ..nn import Conv2d
from .errors import UsageError, user_input

METHODS = ("gradcam", "saliency", "guided", "deconvnet", "occlusion", "integrated", "filters",
           "features")


def _as_image(array):
    """(C, H, W) in [0, 1] → (H, W, 3) or (H, W), as matplotlib shows images."""
    return array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0)


def display_image(x, mean, std):
    """The model's (1, C, H, W) input with its normalisation undone, clipped to [0, 1]."""
    channels = x.shape[1]
    mean = np.resize(np.asarray(mean, dtype=np.float64), channels).reshape(channels, 1, 1)
    std = np.resize(np.asarray(std, dtype=np.float64), channels).reshape(channels, 1, 1)
    return _as_image(np.clip(x.numpy()[0] * std + mean, 0, 1))


def _convolutions(model):
    """The names of the model's nn.Conv2d layers, in its order."""
    names = [name for name, module in model.named_modules() if isinstance(module, Conv2d)]
    if not names:
        raise UsageError("--layer: the model has no Conv2d layer; name one with --layer")
    return names


def first_conv(model):
    """The name of the model's first nn.Conv2d."""
    return _convolutions(model)[0]


def last_spatial_conv(model, x):
    """The name of the last nn.Conv2d whose maps for `x` are larger than 1×1 (Grad-CAM's
    usual layer: the most abstract maps that still say where)."""
    names = _convolutions(model)
    maps = viz.feature_maps(model, x, names)
    spatial = [name for name in names if maps[name].shape[2] * maps[name].shape[3] > 1]
    return (spatial or names)[-1]


def layer(model, name):
    """The submodule called `name`, or a UsageError with the closest names."""
    modules = dict(model.named_modules())
    if name not in modules or not name:
        close = difflib.get_close_matches(name, [n for n in modules if n], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"--layer {name}: the model has no such submodule{hint}")
    return modules[name]


class Settings:
    """What a method needs beyond the model and the image: the layer name, the target
    class, the occlusion window side, the integration steps."""

    def __init__(self, layer, target, window, steps):
        self.layer, self.target, self.window, self.steps = layer, target, window, steps


def picture(method, model, x, settings):
    """(picture, options for save_side_by_side, description) of `method` on the one-image
    batch `x`."""
    target = settings.target
    if method == "saliency":
        saliency = viz.saliency(model, x, target).numpy()[0].max(axis=0)
        return saliency, {"cmap": "hot"}, "saliency |∂ logit / ∂ x| (max over channels)"
    if method in ("guided", "deconvnet"):
        run = viz.guided_backprop if method == "guided" else viz.deconvnet
        gradient = viz.normalize(run(model, x, target)).numpy()[0]
        words = "guided backpropagation" if method == "guided" else "deconvnet"
        return _as_image(gradient), {"cmap": "gray"}, words
    if method == "gradcam":
        name = settings.layer or last_spatial_conv(model, x)
        with user_input(f"--layer {name}"):
            cam = viz.grad_cam(model, x, target, layer(model, name))
        shown = viz.normalize(viz.upsample(cam, tuple(x.shape[2:]))).numpy()[0, 0]
        return shown, {"cmap": "jet", "overlay": True}, f"Grad-CAM at {name}"
    if method == "occlusion":
        channels, side = x.shape[1], x.shape[2]
        window = min(settings.window or max(side // 8, 1), side)
        stride = max(window // 2, 1)
        drop = viz.occlusion(model, x, target, (channels, window, window), (channels, stride,
                                                                            stride))
        return drop.numpy()[0].sum(axis=0), {"cmap": "RdBu_r", "symmetric": True}, \
            f"occlusion, {window}×{window} patches"
    if method == "integrated":
        attribution = viz.integrated_gradients(model, x, target, steps=settings.steps)
        return attribution.numpy()[0].sum(axis=0), {"cmap": "RdBu_r", "symmetric": True}, \
            f"integrated gradients, {settings.steps} steps"
    if method == "features":
        name = settings.layer or first_conv(model)
        with user_input(f"--layer {name}"):
            maps = viz.feature_maps(model, x, [name])[name]
        if maps.ndim != 4:
            raise UsageError(f"--layer {name}: its output has shape {tuple(maps.shape)}; "
                             f"features needs (N, C, H, W) maps")
        tiles = viz.normalize(maps.numpy()[0][:, None]).numpy()[:, 0]
        return viz.grid(tiles), {"cmap": "gray"}, f"feature maps of {name} ({len(tiles)})"
    name = settings.layer or first_conv(model)
    module = layer(model, name)
    with user_input(f"--layer {name}", (TypeError,)):
        return viz.filters(module), {"cmap": "gray"}, f"filters of {name}"
