"""mc.viz on zoo models equals captum on torchvision's models carrying the same weights
(float64, small inputs): ResNet-18 (one ReLU module used twice per block, in place, and
BatchNorm) and AlexNet (in-place ReLUs, overlapping max-pooling, dropout, adaptive
pooling). LeNet-5's tests (test_attributions_lenet.py) sweep the arguments."""
import numpy as np
import pytest

import minicnn as mc
from viz_helpers import assert_close, captum_attribution, copy_weights, images

# zoo name, input side, the layer for Grad-CAM, an occlusion window and stride
CASES = [("resnet18", 48, "layer3", (3, 24, 24), (3, 24, 24)),
         ("alexnet", 63, "features.7", (3, 32, 32), (3, 31, 31))]
TARGET = [5, 2]


def _random_statistics(model):
    """BatchNorm running statistics away from 0 and 1, so eval-mode normalisation counts."""
    rng = np.random.default_rng(1)
    for name, buffer in model.named_buffers():
        if name.endswith("running_mean"):
            buffer.data[...] = rng.standard_normal(buffer.shape) * 0.1
        elif name.endswith("running_var"):
            buffer.data[...] = rng.uniform(0.5, 1.5, buffer.shape)


@pytest.fixture(scope="module", params=CASES, ids=[case[0] for case in CASES])
def case(request):
    models = pytest.importorskip("torchvision.models")
    name, side, layer, window, stride = request.param
    mc.manual_seed(0)
    model = getattr(mc.models, name)(num_classes=8).double()
    _random_statistics(model)
    twin = copy_weights(model, getattr(models, name)(num_classes=8).double())
    return model.eval(), twin.eval(), images((2, 3, side, side)), layer, window, stride


def test_saliency(case):
    model, twin, x = case[:3]
    assert_close(mc.viz.saliency(model, x, TARGET),
                 captum_attribution("Saliency", twin, x, TARGET, abs=True))


def test_guided_backprop(case):
    model, twin, x = case[:3]
    assert_close(mc.viz.guided_backprop(model, x, TARGET),
                 captum_attribution("GuidedBackprop", twin, x, TARGET))


def test_deconvnet(case):
    model, twin, x = case[:3]
    assert_close(mc.viz.deconvnet(model, x, TARGET),
                 captum_attribution("Deconvolution", twin, x, TARGET))


def test_grad_cam(case):
    model, twin, x, layer = case[:4]
    expected = captum_attribution("LayerGradCam", twin, x, TARGET, twin.get_submodule(layer),
                                  relu_attributions=True)
    assert_close(mc.viz.grad_cam(model, x, TARGET, model.get_submodule(layer)), expected)


def test_occlusion(case):
    model, twin, x, _, window, stride = case
    expected = captum_attribution("Occlusion", twin, x, TARGET, sliding_window_shapes=window,
                                  strides=stride, baselines=0.0)
    assert_close(mc.viz.occlusion(model, x, TARGET, window, stride), expected)


def test_integrated_gradients(case):
    model, twin, x = case[:3]
    expected = captum_attribution("IntegratedGradients", twin, x, TARGET, n_steps=6,
                                  method="riemann_trapezoid")
    assert_close(mc.viz.integrated_gradients(model, x, TARGET, steps=6), expected, rtol=1e-6)
