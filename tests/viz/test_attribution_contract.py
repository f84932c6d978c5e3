"""What every attribution of mc.viz promises besides its values: the model in eval mode
during the call and in its own modes afterwards, x unchanged, the parameters' gradients
untouched, no hook left behind; and bad arguments refused with the function, the argument
and the value named."""
import numpy as np
import pytest

import minicnn as mc
from viz_helpers import images, lenet

METHODS = {
    "saliency": lambda m, x, t: mc.viz.saliency(m, x, t),
    "guided_backprop": lambda m, x, t: mc.viz.guided_backprop(m, x, t),
    "deconvnet": lambda m, x, t: mc.viz.deconvnet(m, x, t),
    "grad_cam": lambda m, x, t: mc.viz.grad_cam(m, x, t, m.features[3]),
    "occlusion": lambda m, x, t: mc.viz.occlusion(m, x, t, (1, 16, 16), 16),
    "integrated_gradients": lambda m, x, t: mc.viz.integrated_gradients(m, x, t, steps=3),
}


class ModeProbe(mc.nn.Module):
    """Records whether it ran in training mode."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append(self.training)
        return x


def _hook_counts(model):
    return [len(d) for module in model.modules()
            for d in (module._forward_hooks, module._forward_pre_hooks, module._backward_hooks)]


@pytest.mark.parametrize("name", METHODS)
def test_leaves_model_input_and_gradients_as_they_were(name):
    model = lenet()
    probe = ModeProbe()
    model.features.insert(0, probe)
    model.train()
    model.features[1].eval()                      # a module in its own mode stays so
    for p in model.parameters():
        p.grad = mc.ones_like(p)
    model.classifier[1].weight.requires_grad_(False)
    hooks = _hook_counts(model)
    x = images((2, 1, 32, 32))
    before = x.numpy().copy()
    result = METHODS[name](model, x, [1, 2])
    assert probe.seen and not any(probe.seen)      # every forward pass in eval mode
    assert probe.training and not model.features[1].training
    np.testing.assert_array_equal(x.numpy(), before)
    assert not x.requires_grad and x.grad is None
    assert all((p.grad.numpy() == 1).all() for p in model.parameters())
    assert not model.classifier[1].weight.requires_grad
    assert all(p.requires_grad for n, p in model.named_parameters()
               if n != "classifier.1.weight")
    assert _hook_counts(model) == hooks
    assert not result.requires_grad and result.grad_fn is None


def test_in_place_relus_do_not_change_the_input():
    model = mc.nn.Sequential(mc.nn.ReLU(inplace=True), mc.nn.Flatten(), mc.nn.Linear(4, 3)).double()
    x = images((2, 1, 2, 2))
    before = x.numpy().copy()
    for name in ("saliency", "guided_backprop", "deconvnet", "integrated_gradients"):
        METHODS[name](model, x, 0)
        np.testing.assert_array_equal(x.numpy(), before)


def test_a_reused_relu_module_follows_the_rule_at_each_call():
    """deconvnet ignores the forward mask at both calls of one ReLU module: the gradient
    through relu(w2 · relu(w1 · x)) is w1ᵀ relu(w2ᵀ relu(g)), for g the target's one-hot."""
    relu = mc.nn.ReLU(inplace=True)
    first, second = mc.nn.Linear(3, 3, bias=False), mc.nn.Linear(3, 2, bias=False)
    model = mc.nn.Sequential(first, relu, second, relu).double()
    x = images((1, 3))
    w1, w2 = first.weight.detach().numpy(), second.weight.detach().numpy()
    expected = w1.T @ np.maximum(w2.T @ np.maximum(np.eye(2)[1], 0), 0)
    np.testing.assert_allclose(mc.viz.deconvnet(model, x, 1).numpy()[0], expected)


@pytest.mark.parametrize("target, error, words", [
    (1.5, TypeError, r"saliency: target must be an int or one int per image, got 1\.5"),
    ([1, 2, 3], TypeError, r"saliency: target must be .* one int per image \(2\), got "
                           r"\[1, 2, 3\]"),
    (True, TypeError, r"saliency: target .* got True"),
    (10, ValueError, r"saliency: target 10 is out of range for a model with 10 outputs"),
    ([0, -1], ValueError, r"saliency: target -1 is out of range"),
])
def test_bad_targets_are_named(target, error, words):
    with pytest.raises(error, match=words):
        mc.viz.saliency(lenet(), images((2, 1, 32, 32)), target)


def test_bad_models_and_inputs_are_named():
    model, x = lenet(), images((2, 1, 32, 32))
    with pytest.raises(TypeError, match=r"guided_backprop: model must be an nn.Module, got "
                                        r"function"):
        mc.viz.guided_backprop(lambda t: t, x, 0)
    with pytest.raises(TypeError, match=r"deconvnet: x must be a Tensor, got ndarray"):
        mc.viz.deconvnet(model, x.numpy(), 0)
    with pytest.raises(TypeError, match=r"saliency: x must be a floating tensor, got dtype "
                                        r"int64"):
        mc.viz.saliency(model, mc.zeros(2, 1, 32, 32, dtype=mc.int64), 0)
    with pytest.raises(ValueError, match=r"occlusion: x must be 4-D \(N, C, H, W\), got shape "
                                         r"\(1, 32, 32\)"):
        mc.viz.occlusion(model, images((1, 32, 32)), 0, (1, 4, 4), 4)


def test_bad_layers_are_named():
    model, x = lenet(), images((1, 1, 32, 32))
    with pytest.raises(ValueError, match=r"grad_cam: layer Conv2d is not a submodule"):
        mc.viz.grad_cam(model, x, 0, mc.nn.Conv2d(1, 6, 5))
    with pytest.raises(TypeError, match=r"grad_cam: layer must be a submodule .* got str"):
        mc.viz.grad_cam(model, x, 0, "features.3")
    with pytest.raises(ValueError, match=r"grad_cam: layer 'classifier.1' outputs shape "
                                         r"\(1, 84\); Grad-CAM needs \(N, C, H, W\) maps"):
        mc.viz.grad_cam(model, x, 0, model.classifier[1])
    twice, relu = lenet(), mc.nn.ReLU()
    twice.features[1] = relu
    twice.features[4] = relu
    with pytest.raises(ValueError, match=r"grad_cam: layer 'features.1' ran 2 times in the "
                                         r"forward pass; choose a layer that runs once"):
        mc.viz.grad_cam(twice, x, 0, relu)
    with pytest.raises(ValueError, match=r"feature_maps: layers: the model has no submodule "
                                         r"'features.33'; did you mean features.3"):
        mc.viz.feature_maps(model, x, ["features.33"])
    with pytest.raises(TypeError, match=r"feature_maps: layers must be a list of submodule "
                                        r"names, got 'features.3'"):
        mc.viz.feature_maps(model, x, "features.3")


@pytest.mark.parametrize("kwargs, error, words", [
    ({"window": (1, 4), "stride": 4}, TypeError, r"occlusion: window must be three ints "
                                                 r"\(C, H, W\), got \(1, 4\)"),
    ({"window": (1, 40, 4), "stride": 4}, ValueError, r"occlusion: window \(1, 40, 4\) is "
                                                      r"larger than an image \(1, 32, 32\)"),
    ({"window": (1, 4, 4), "stride": 0}, ValueError, r"occlusion: stride must be positive, got "
                                                     r"\(0, 0, 0\)"),
    ({"window": (1, 4, 4), "stride": (1, 5, 4)}, ValueError,
     r"occlusion: stride \(1, 5, 4\) must not exceed window \(1, 4, 4\)"),
    ({"window": (1, 4, 4), "stride": 4, "baseline": "zero"}, TypeError,
     r"occlusion: baseline must be a number or a tensor shaped like x, got 'zero'"),
])
def test_bad_occlusion_arguments_are_named(kwargs, error, words):
    with pytest.raises(error, match=words):
        mc.viz.occlusion(lenet(), images((1, 1, 32, 32)), 0, **kwargs)


def test_bad_integrated_gradients_arguments_are_named():
    model, x = lenet(), images((1, 1, 32, 32))
    with pytest.raises(ValueError, match=r"integrated_gradients: steps must be at least 2, "
                                         r"got 1"):
        mc.viz.integrated_gradients(model, x, 0, steps=1)
    with pytest.raises(TypeError, match=r"integrated_gradients: steps must be an int, got "
                                        r"2\.5"):
        mc.viz.integrated_gradients(model, x, 0, steps=2.5)
    with pytest.raises(ValueError, match=r"integrated_gradients: baseline must be None \(zeros\) "
                                         r"or a tensor shaped like x \(1, 1, 32, 32\), got "
                                         r"shape \(1, 32, 32\)"):
        mc.viz.integrated_gradients(model, x, 0, baseline=images((1, 32, 32)))
