"""GoogLeNet: torchvision's parameter counts and state_dict keys, the paper's true 5×5 variant,
training-mode auxiliary outputs and their weighted loss, transform_input, initialisation,
argument errors, a training step, and torchvision's logits with its weights."""
import numpy as np
import pytest
from model_helpers import (assert_logits_parity, assert_matches_fixture, assert_sgd_lowers_loss,
                           assert_train_eval_differ, param_count)

import minicnn as mc
from minicnn import nn
from minicnn.models import GoogLeNet, GoogLeNetOutputs, googlenet, inception_loss


@pytest.fixture(scope="module")
def small_model():
    mc.manual_seed(0)
    return googlenet(num_classes=10)


@pytest.mark.parametrize("aux_logits, variant, count", [
    (True, "torchvision", 13_004_888), (False, "torchvision", 6_624_904),
    (True, "paper", 13_385_816), (False, "paper", 7_005_832)])
def test_parameter_count(aux_logits, variant, count):
    model = googlenet(aux_logits=aux_logits, variant=variant, init_weights=False)
    assert param_count(model) == count
    assert isinstance(model, GoogLeNet) and model.input_size == (3, 224, 224)


def test_state_dict_keys_equal_torchvision():
    assert_matches_fixture(googlenet(init_weights=False), "googlenet")


@pytest.mark.parametrize("variant, kernel", [("torchvision", (3, 3)), ("paper", (5, 5))])
def test_the_5x5_branch(variant, kernel):
    model = googlenet(variant=variant, init_weights=False)
    second = model.inception4e.branch3[1].conv
    assert second.kernel_size == kernel and second.padding == (kernel[0] // 2,) * 2
    assert tuple(model.state_dict()["inception5b.branch3.1.conv.weight"].shape) == \
        (128, 48, *kernel)


def test_training_returns_both_auxiliary_outputs_eval_the_logits(small_model):
    x = mc.randn(2, 3, 64, 64)
    small_model.train()
    out = small_model(x)
    assert isinstance(out, GoogLeNetOutputs)
    assert [tuple(o.shape) for o in out] == [(2, 10)] * 3
    assert out._fields == ("logits", "aux_logits2", "aux_logits1")
    small_model.eval()
    with mc.no_grad():
        logits = small_model(x)
    assert isinstance(logits, mc.Tensor) and tuple(logits.shape) == (2, 10)


def test_without_auxiliary_classifiers_training_returns_the_logits():
    model = googlenet(num_classes=10, aux_logits=False, init_weights=False).train()
    assert model.aux1 is None and model.aux2 is None
    out = model(mc.randn(2, 3, 64, 64))
    assert isinstance(out, mc.Tensor) and tuple(out.shape) == (2, 10)


def test_output_shape_native_input(small_model):
    with mc.no_grad():
        out = small_model.eval()(mc.randn(1, 3, 224, 224)).numpy()
    assert out.shape == (1, 10) and np.all(np.isfinite(out))


def test_initialisation_follows_torchvision(small_model):
    weights = np.concatenate([small_model.inception4e.branch2[1].conv.weight.detach().numpy(),
                              small_model.fc.weight.detach().numpy()], axis=None)
    assert abs(weights.std() - 0.01) < 0.001 and np.abs(weights).max() < 0.06
    bn = small_model.inception3a.branch1.bn
    assert bn.eps == 1e-3
    assert np.all(bn.weight.detach().numpy() == 1) and np.all(bn.bias.detach().numpy() == 0)


def test_transform_input_rescales_imagenet_normalised_input():
    x = np.random.default_rng(0).standard_normal((2, 3, 16, 16)).astype(np.float32)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    expected = ((x * std[:, None, None] + mean[:, None, None]) - 0.5) / 0.5
    model = googlenet(num_classes=10, transform_input=True, init_weights=False).eval()
    seen = []
    model.conv1.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0].numpy()))
    with mc.no_grad():
        model(mc.tensor(x))
    np.testing.assert_allclose(seen[0], expected, rtol=1e-5, atol=1e-6)


def test_train_and_eval_differ(small_model):
    assert_train_eval_differ(small_model, mc.randn(2, 3, 64, 64))


def test_sgd_steps_lower_the_inception_loss(small_model):
    mc.manual_seed(0)
    assert_sgd_lowers_loss(small_model, (4, 3, 64, 64), 10, lr=0.01, steps=2,
                           loss_fn=inception_loss)


def test_inception_loss_weights_the_auxiliary_outputs():
    rng = np.random.default_rng(0)
    logits, aux2, aux1 = (mc.tensor(rng.standard_normal((4, 5)).astype(np.float32))
                          for _ in range(3))
    target = mc.tensor(rng.integers(0, 5, 4))
    ce = [float(nn.functional.cross_entropy(t, target).item()) for t in (logits, aux2, aux1)]
    got = float(inception_loss(GoogLeNetOutputs(logits, aux2, aux1), target).item())
    assert got == pytest.approx(ce[0] + 0.3 * (ce[1] + ce[2]), rel=1e-6)
    got = float(inception_loss((logits, aux2, None), target, aux_weight=1.0).item())
    assert got == pytest.approx(ce[0] + ce[1], rel=1e-6)
    assert float(inception_loss(logits, target).item()) == pytest.approx(ce[0], rel=1e-6)
    smooth = [float(nn.functional.cross_entropy(t, target, label_smoothing=0.1).item())
              for t in (logits, aux2, aux1)]
    got = float(inception_loss(GoogLeNetOutputs(logits, aux2, aux1), target,
                               label_smoothing=0.1).item())
    assert got == pytest.approx(smooth[0] + 0.3 * (smooth[1] + smooth[2]), rel=1e-6)
    assert float(inception_loss(logits, target, label_smoothing=0.1).item()) == \
        pytest.approx(smooth[0], rel=1e-6)


def test_inception_loss_gradient_reaches_the_auxiliary_classifier(small_model):
    small_model.train()
    small_model.zero_grad()
    inception_loss(small_model(mc.randn(2, 3, 64, 64)), mc.tensor(np.array([1, 2]))).backward()
    assert np.any(small_model.aux1.fc2.weight.grad.numpy() != 0)
    assert np.any(small_model.aux2.fc2.weight.grad.numpy() != 0)


@pytest.mark.parametrize("kwargs, pattern", [
    ({"variant": "v1"}, r"GoogLeNet: variant .*'v1'"),
    ({"dropout": 1.5}, r"GoogLeNet: dropout .*1.5"),
    ({"dropout_aux": -0.1}, r"GoogLeNet: dropout_aux .*-0.1")])
def test_bad_arguments_are_named(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        googlenet(**kwargs)


def test_bad_aux_weight_is_named():
    with pytest.raises(ValueError, match=r"inception_loss: aux_weight .*-1"):
        inception_loss(mc.randn(2, 3), mc.tensor(np.array([0, 1])), aux_weight=-1)


@pytest.mark.parametrize("transform", [False, True])
def test_logits_equal_torchvision(transform):
    """Eval mode with the auxiliary classifiers built returns the plain logits, as torchvision."""
    pytest.importorskip("torchvision")
    model = googlenet(transform_input=transform, init_weights=False)

    def forward(module, x):
        module.transform_input = transform
        return module(x)

    assert_logits_parity(model, "googlenet", (1, 3, 224, 224), forward=forward)
