"""Each attribution of mc.viz on LeNet-5 equals captum's on a PyTorch twin with the same
weights, in float64, for one target for all images and for one per image."""
import numpy as np
import pytest

import minicnn as mc
from viz_helpers import assert_close, captum_attribution, images, lenet, torch_lenet

TARGETS = [3, [1, 7]]


@pytest.fixture(scope="module")
def models():
    model = lenet()
    return model, torch_lenet(model)


@pytest.fixture(scope="module")
def x():
    return images((2, 1, 32, 32))


@pytest.mark.parametrize("target", TARGETS)
def test_saliency_equals_captum(models, x, target):
    model, twin = models
    expected = captum_attribution("Saliency", twin, x, target, abs=True)
    assert_close(mc.viz.saliency(model, x, target), expected)


@pytest.mark.parametrize("target", TARGETS)
def test_guided_backprop_equals_captum(models, x, target):
    model, twin = models
    expected = captum_attribution("GuidedBackprop", twin, x, target)
    ours = mc.viz.guided_backprop(model, x, target)
    assert_close(ours, expected)
    assert not np.allclose(ours.numpy(), captum_attribution("Saliency", twin, x, target,
                                                            abs=False))


@pytest.mark.parametrize("target", TARGETS)
def test_deconvnet_equals_captum(models, x, target):
    model, twin = models
    expected = captum_attribution("Deconvolution", twin, x, target)
    assert_close(mc.viz.deconvnet(model, x, target), expected)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("layer", ["features.3", "features.4", "features.0"])
def test_grad_cam_equals_captum(models, x, target, layer):
    model, twin = models
    expected = captum_attribution("LayerGradCam", twin, x, target,
                                  twin.get_submodule(layer), relu_attributions=True)
    ours = mc.viz.grad_cam(model, x, target, model.get_submodule(layer))
    assert ours.shape == (2, 1) + expected.shape[2:]
    assert_close(ours, expected)


@pytest.mark.parametrize("window, stride", [((1, 8, 8), 4), ((1, 5, 7), (1, 3, 4)),
                                            ((1, 32, 6), (1, 1, 6))])
@pytest.mark.parametrize("target", TARGETS)
def test_occlusion_equals_captum(models, x, target, window, stride):
    model, twin = models
    expected = captum_attribution("Occlusion", twin, x, target, sliding_window_shapes=window,
                                  strides=stride, baselines=0.0)
    assert_close(mc.viz.occlusion(model, x, target, window, stride), expected)


def test_occlusion_with_a_baseline_equals_captum(models, x):
    model, twin = models
    expected = captum_attribution("Occlusion", twin, x, [2, 5], sliding_window_shapes=(1, 6, 6),
                                  strides=(1, 5, 5), baselines=-0.5)
    assert_close(mc.viz.occlusion(model, x, [2, 5], (1, 6, 6), (1, 5, 5), baseline=-0.5),
                 expected)


def test_occlusion_with_a_baseline_image_equals_captum(models, x):
    torch = pytest.importorskip("torch")
    model, twin = models
    baseline = images(tuple(x.shape), seed=2)
    expected = captum_attribution("Occlusion", twin, x, 1, sliding_window_shapes=(1, 9, 9),
                                  strides=(1, 8, 8),
                                  baselines=torch.from_numpy(baseline.numpy()))
    assert_close(mc.viz.occlusion(model, x, 1, (1, 9, 9), (1, 8, 8), baseline=baseline),
                 expected)


@pytest.mark.parametrize("target", TARGETS)
def test_integrated_gradients_equal_captum(models, x, target):
    model, twin = models
    expected = captum_attribution("IntegratedGradients", twin, x, target, n_steps=20,
                                  method="riemann_trapezoid")
    assert_close(mc.viz.integrated_gradients(model, x, target, steps=20), expected, rtol=1e-6)


def test_integrated_gradients_with_a_baseline_equal_captum(models, x):
    torch = pytest.importorskip("torch")
    model, twin = models
    baseline = images(tuple(x.shape), seed=1)
    expected = captum_attribution("IntegratedGradients", twin, x, [4, 0], n_steps=7,
                                  method="riemann_trapezoid",
                                  baselines=torch.from_numpy(baseline.numpy()))
    ours = mc.viz.integrated_gradients(model, x, [4, 0], baseline=baseline, steps=7)
    assert_close(ours, expected, rtol=1e-6)


def test_integrated_gradients_sum_to_the_logit_difference(models, x):
    """Completeness: with many steps the attributions add up to logit(x) − logit(baseline)."""
    model, _ = models
    ours = mc.viz.integrated_gradients(model, x, 6, steps=300).numpy()
    with mc.no_grad():
        gap = model(x).numpy()[:, 6] - model(mc.zeros_like(x)).numpy()[:, 6]
    np.testing.assert_allclose(ours.reshape(2, -1).sum(axis=1), gap, rtol=1e-2)
