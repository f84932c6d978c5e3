"""Saliency (Simonyan et al., 2014): how much each input value moves the target logit."""
from ..tensor import Tensor
from .arguments import check_images, check_model, check_target
from .inspection import input_gradient, inspecting


def saliency(model, x, target):
    """|∂ logit[target] / ∂ x| for each image of the batch `x`, a Tensor shaped like x.

    The raw logit, not its softmax (as captum's Saliency): the map says which input values
    the class score is most sensitive to. `target` is one class for every image or one per
    image; the model runs in eval mode and is left as it was.
    """
    fn = "saliency"
    check_model(fn, model)
    check_images(fn, x)
    targets = check_target(fn, target, x.shape[0])
    with inspecting(model):
        gradient = input_gradient(fn, model, x, targets)
    return Tensor._make(abs(gradient))
