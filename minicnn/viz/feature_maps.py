"""The activations of chosen layers for a batch of images."""
from .. import grad_mode
from ..tensor import Tensor
from .arguments import check_images, check_model, named_layers
from .inspection import inspecting
from .layer_capture import capturing


def feature_maps(model, x, layers):
    """{name: the output of that submodule} for `x`, in eval mode and without the graph.

    `layers` is a list of dotted submodule names (as `model.named_modules()` gives them,
    e.g. ["features.0", "layer2.1.conv1"]); each must run once per forward pass. The values
    are those the layer returned, before any later in-place op of the model.
    """
    fn = "feature_maps"
    check_model(fn, model)
    check_images(fn, x)
    modules = named_layers(fn, model, layers)
    with inspecting(model), grad_mode.no_grad(), capturing(fn, modules) as captures:
        model(Tensor._make(x._data.copy()))
        return {name: captures[name].only_call()[1] for name in modules}
