"""The zoo through ONNX: each model, with random weights and random BatchNorm statistics,
exported at a small input, passes onnx.checker and gives minicnn's logits in onnxruntime
(within 1e-4 of the logits' scale)."""
import numpy as np
import pytest

import minicnn as mc
from onnx_helpers import export_and_compare

M = mc.models

ZOO = {
    "lenet5": (M.lenet5, (1, 32)),
    "alexnet": (M.alexnet, (3, 63)),
    "vgg11_bn": (M.vgg11_bn, (3, 32)),
    "googlenet": (M.googlenet, (3, 32)),
    "inception_v3": (lambda: M.inception_v3(aux_logits=False), (3, 75)),
    "resnet18": (M.resnet18, (3, 32)),
    "resnext50_32x4d": (M.resnext50_32x4d, (3, 32)),
    "densenet121": (M.densenet121, (3, 32)),
    "mobilenet_v1": (M.mobilenet_v1, (3, 32)),
    "vit_b_16": (lambda: M.vit_b_16(image_size=32), (3, 32)),
    "deit_tiny_patch16_224": (lambda: M.deit_tiny_patch16_224(img_size=32), (3, 32)),
}


def _randomized(model):
    """BatchNorm statistics and affine parameters away from their initial 0 and 1, and a
    random classifier where the zoo initializes it to zero (ViT's head), so that the
    logits depend on every part of the graph."""
    rng = np.random.default_rng(0)
    for module in model.modules():
        if isinstance(module, mc.nn.BatchNorm2d):
            c = module.num_features
            module.running_mean.data[...] = rng.normal(0, 0.1, c)
            module.running_var.data[...] = rng.uniform(0.5, 1.5, c)
            module.weight.data[...] = rng.uniform(0.5, 1.5, c)
            module.bias.data[...] = rng.normal(0, 0.1, c)
    if isinstance(model, M.VisionTransformer):
        head = model.heads.head.weight
        head.data[...] = rng.normal(0, 0.02, head.shape)
    return model


@pytest.mark.parametrize("name", ZOO)
def test_zoo_model_gives_the_same_logits_in_onnxruntime(tmp_path, name):
    make, (channels, side) = ZOO[name]
    mc.manual_seed(0)
    model = _randomized(make())
    x = mc.randn(2, channels, side, side)
    export_and_compare(model, x, tmp_path / f"{name}.onnx")
