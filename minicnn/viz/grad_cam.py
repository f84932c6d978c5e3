"""Grad-CAM (Selvaraju et al., 2017): where in a layer's maps the target class is found."""
from .. import backend
from ..tensor import Tensor
from .arguments import check_images, check_model, check_target, layer_name
from .inspection import inspecting, logits_of, target_score, traced_input
from .layer_capture import capturing


def grad_cam(model, x, target, layer):
    """relu(Σ_c α_c · A_c) for each image, an (N, 1, h, w) Tensor at the resolution of
    `layer`'s output A (N, C, h, w), where α_c is the spatial mean of ∂ logit[target] / ∂ A_c.

    `layer` is the submodule object (e.g. `model.layer4`); it must run once per forward
    pass. The map is neither upsampled nor normalised (mc.viz.upsample and
    mc.viz.normalize do that for display); this is captum's LayerGradCam with
    relu_attributions=True. `target`: one class for every image or one per image.
    """
    fn = "grad_cam"
    check_model(fn, model)
    check_images(fn, x)
    name = layer_name(fn, model, layer)
    targets = check_target(fn, target, x.shape[0])
    with inspecting(model), capturing(fn, {name: layer}) as captures:
        outputs = model(traced_input(x)[1])
        activation, values = captures[name].only_call()
        if activation.ndim != 4:
            raise ValueError(f"{fn}: layer {name!r} outputs shape {tuple(activation.shape)}; "
                             f"Grad-CAM needs (N, C, H, W) maps")
        if not activation.requires_grad:
            raise ValueError(f"{fn}: layer {name!r}'s output does not depend on the input")
        target_score(fn, logits_of(fn, outputs), targets).backward()
    if activation.grad is None:     # the target logit does not depend on the layer
        return Tensor._make(backend.xp_of(values._data).zeros(
            (values.shape[0], 1) + tuple(values.shape[2:]), dtype=values.dtype))
    weights = activation.grad._data.mean(axis=(2, 3), keepdims=True)
    cam = (weights * values._data).sum(axis=1, keepdims=True)
    return Tensor._make(cam * (cam > 0))
