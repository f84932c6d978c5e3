"""How mc.viz runs a model: in eval mode, with its parameters out of the graph, on a copy of
the input that requires grad; and the one scalar whose gradient each method takes, the sum
over the batch of each image's target logit."""
import contextlib

import numpy as np

from .. import backend
from ..functional import clone
from ..tensor import Tensor
from .arguments import check_target_range

# how many images one forward pass takes when a method runs the model on many variants of
# the input (occlusion's windows, integrated gradients' path)
IMAGES_PER_PASS = 64


@contextlib.contextmanager
def inspecting(model):
    """Within the block, `model` is in eval mode and its parameters require no grad, so a
    backward pass reaches only the input and leaves every `.grad` as it was; afterwards each
    module's mode and each parameter's requires_grad are what they were."""
    modes = [(module, module.training) for module in model.modules()]
    flags = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    for p, _ in flags:
        p.requires_grad = False
    try:
        yield
    finally:
        for module, mode in modes:
            module.training = mode
        for p, flag in flags:
            p.requires_grad = flag


def traced_input(x):
    """(leaf, copy): a leaf holding `x`'s values that requires grad, where the gradient
    arrives, and a copy of it in the graph, which the model takes: the model may write into
    its input in place, and neither `x` nor the leaf changes."""
    leaf = Tensor._make(x._data).requires_grad_(True)
    return leaf, clone(leaf)


def logits_of(fn, outputs):
    """The (N, classes) logits of a model's output: the first of a tuple (a network with
    auxiliary heads returns its main logits first)."""
    logits = outputs[0] if isinstance(outputs, tuple) else outputs
    if not isinstance(logits, Tensor) or logits.ndim != 2:
        shape = tuple(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__
        raise ValueError(f"{fn}: the model must return (N, classes) logits, got {shape}")
    return logits


def target_score(fn, logits, targets):
    """Σ_i logits[i, targets[i]], the scalar whose gradient is each image's target logit's
    gradient (the images of a batch do not interact in eval mode)."""
    check_target_range(fn, targets, logits.shape[1])
    xp = backend.xp_of(logits._data)
    one_hot = np.zeros(logits.shape, dtype=logits.dtype)
    one_hot[np.arange(len(targets)), targets] = 1
    return (logits * Tensor._make(xp.asarray(one_hot))).sum()


def target_logits(fn, logits, targets):
    """Each image's target logit, as an (N,) NumPy array."""
    check_target_range(fn, targets, logits.shape[1])
    values = backend.to_device(logits._data, "cpu")
    return values[np.arange(len(targets)), targets]


def input_gradient(fn, model, x, targets):
    """∂ logit[target] / ∂ x for each image of `x` (an array shaped like x), with `model`
    already in inspecting()."""
    leaf, copy = traced_input(x)
    target_score(fn, logits_of(fn, model(copy)), targets).backward()
    if leaf.grad is None:           # the logits do not depend on the input
        return backend.xp_of(x._data).zeros_like(x._data)
    return leaf.grad._data
