"""The argument checks of mc.viz: each error names the function, the argument and the value,
and comes before any forward pass."""
import difflib

import numpy as np

from .. import backend
from ..functional._validate import integer, is_int
from ..nn import Module
from ..tensor import Tensor


def check_model(fn, model):
    """TypeError unless `model` is an nn.Module."""
    if not isinstance(model, Module):
        raise TypeError(f"{fn}: model must be an nn.Module, got {type(model).__name__}")


def check_images(fn, x, ndim=None):
    """TypeError unless `x` is a floating Tensor; ValueError unless it is a non-empty batch
    (N, ...) of at least 2 dimensions, or of exactly `ndim`."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: x must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: x must be a floating tensor, got dtype {x.dtype}")
    if (ndim is not None and x.ndim != ndim) or x.ndim < 2:
        wanted = f"{ndim}-D (N, C, H, W)" if ndim == 4 else "a batch (N, ...) of at least 2-D"
        raise ValueError(f"{fn}: x must be {wanted}, got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{fn}: x holds no images (shape {tuple(x.shape)})")


def check_target(fn, target, n):
    """`target` as an (n,) int64 NumPy array: one int for every image, or one int per image
    (a sequence, array or Tensor of n ints)."""
    if is_int(target):
        return np.full(n, int(target), dtype=np.int64)
    values = target._data if isinstance(target, Tensor) else target
    if isinstance(values, (list, tuple)) and all(is_int(v) for v in values):
        values = np.asarray(values, dtype=np.int64)
    elif backend.is_cupy_array(values) or isinstance(values, np.ndarray):
        values = backend.to_device(values, "cpu")
    else:
        raise TypeError(f"{fn}: target must be an int or one int per image, got {target!r}")
    if values.dtype.kind not in "iu" or values.shape != (n,):
        raise TypeError(f"{fn}: target must be an int or one int per image ({n}), got "
                        f"{values.tolist()!r} (shape {values.shape}, dtype {values.dtype})")
    return values.astype(np.int64)


def check_target_range(fn, targets, num_classes):
    """ValueError unless every target indexes one of the model's `num_classes` outputs."""
    bad = targets[(targets < 0) | (targets >= num_classes)]
    if bad.size:
        raise ValueError(f"{fn}: target {int(bad[0])} is out of range for a model with "
                         f"{num_classes} outputs")


def check_steps(fn, steps):
    """`steps` as an int of at least 2 (the two ends of the path)."""
    steps = integer(fn, "steps", steps)
    if steps < 2:
        raise ValueError(f"{fn}: steps must be at least 2, got {steps}")
    return steps


def layer_name(fn, model, layer):
    """The dotted name of the submodule object `layer` in `model`."""
    if not isinstance(layer, Module):
        raise TypeError(f"{fn}: layer must be a submodule (an nn.Module) of the model, got "
                        f"{type(layer).__name__}")
    for name, module in model.named_modules():
        if module is layer:
            return name or "(the model itself)"
    raise ValueError(f"{fn}: layer {type(layer).__name__} is not a submodule of the model")


def named_layers(fn, model, names):
    """{name: submodule} for a list of dotted submodule names; an unknown name is a
    ValueError with the closest names."""
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise TypeError(f"{fn}: layers must be a list of submodule names, got {names!r}")
    modules = dict(model.named_modules())
    found = {}
    for name in names:
        if not isinstance(name, str) or name not in modules:
            close = difflib.get_close_matches(str(name), [n for n in modules if n], n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(f"{fn}: layers: the model has no submodule {name!r}{hint}")
        found[name] = modules[name]
    return found
