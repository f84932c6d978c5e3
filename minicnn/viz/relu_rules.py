"""Guided backpropagation and the deconvnet: the input gradient with each nn.ReLU module's
backward rule replaced.

- guided backpropagation (Springenberg et al., 2015): relu(grad_input), the ordinary
  gradient through the forward mask, negatives dropped;
- deconvnet (Zeiler & Fergus, 2014): relu(grad_output), the mask ignored.

Only nn.ReLU modules change (functional relu calls keep their gradient; max-pooling keeps
its own, through the forward switches), as in captum. Each call of a module is replaced on
its own, so a ReLU module used twice in a forward pass follows the rule at both places.
"""
import contextlib

from ..autograd import Function
from ..backend import xp_of
from ..nn import ReLU
from ..tensor import Tensor
from .arguments import check_images, check_model, check_target
from .inspection import input_gradient, inspecting


class GuidedReLU(Function):
    """relu(x); backward: relu(grad · [x > 0])."""

    @staticmethod
    def forward(ctx, x):
        positive = x > 0
        ctx.save_for_backward(positive)
        return x * positive

    @staticmethod
    def backward(ctx, grad):
        positive, = ctx.saved_arrays
        return xp_of(grad).maximum(grad * positive, 0)


class DeconvReLU(Function):
    """relu(x); backward: relu(grad), whatever x was."""

    @staticmethod
    def forward(ctx, x):
        return x * (x > 0)

    @staticmethod
    def backward(ctx, grad):
        return xp_of(grad).maximum(grad, 0)


@contextlib.contextmanager
def relu_rule(model, rule):
    """Within the block, every nn.ReLU module of `model` computes `rule.apply(input)`; the
    module itself runs on a detached input, so its own (possibly in-place) result is not
    in the graph. The hooks are removed on the way out."""
    pending = []                    # the inputs of the calls in progress, innermost last

    def keep_input(module, args):
        pending.append(args[0])
        return (args[0].detach(),) + tuple(args[1:])

    def replace_output(module, args, output):
        return rule.apply(pending.pop())

    handles = []
    try:
        for module in model.modules():
            if isinstance(module, ReLU):
                handles.append(module.register_forward_pre_hook(keep_input))
                handles.append(module.register_forward_hook(replace_output))
        yield
    finally:
        for handle in handles:
            handle.remove()


def _modified_gradient(fn, rule, model, x, target):
    check_model(fn, model)
    check_images(fn, x)
    targets = check_target(fn, target, x.shape[0])
    with inspecting(model), relu_rule(model, rule):
        gradient = input_gradient(fn, model, x, targets)
    return Tensor._make(gradient)


def guided_backprop(model, x, target):
    """The gradient of the target logit with respect to `x` with every nn.ReLU module's
    backward replaced by relu(grad_input): a Tensor shaped like x (signed, as captum's
    GuidedBackprop). `target`: one class for every image or one per image."""
    return _modified_gradient("guided_backprop", GuidedReLU, model, x, target)


def deconvnet(model, x, target):
    """The gradient of the target logit with respect to `x` with every nn.ReLU module's
    backward replaced by relu(grad_output) (the deconvnet of Zeiler & Fergus): a Tensor
    shaped like x, as captum's Deconvolution. `target`: one class for every image or one per
    image."""
    return _modified_gradient("deconvnet", DeconvReLU, model, x, target)
