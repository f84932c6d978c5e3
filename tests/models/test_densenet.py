"""DenseNet-121/161/169/201: torchvision's parameter counts and state_dict keys, channel
growth, output shapes, the memory-efficient (checkpointed) bottleneck giving the same outputs
and gradients, dropout, argument errors, a training step, and torchvision's logits."""
import numpy as np
import pytest
from model_helpers import (assert_logits_parity, assert_matches_fixture, assert_sgd_lowers_loss,
                           assert_train_eval_differ, param_count)

import minicnn as mc
from minicnn import nn, optim
from minicnn.models import DenseNet, densenet121, densenet161, densenet169, densenet201
from minicnn.models import densenet as densenet_module

CONSTRUCTORS = {f.__name__: f for f in (densenet121, densenet161, densenet169, densenet201)}
PARAMS = {"densenet121": 7_978_856, "densenet161": 28_681_000, "densenet169": 14_149_480,
          "densenet201": 20_013_928}


def tiny(**kwargs):
    """A two-block DenseNet-BC small enough for gradient comparisons."""
    return DenseNet(growth_rate=4, block_config=(2, 3), num_init_features=8, bn_size=2,
                    num_classes=5, **kwargs)


@pytest.mark.parametrize("name", list(CONSTRUCTORS))
def test_parameter_count_and_keys_equal_torchvision(name):
    model = CONSTRUCTORS[name]()
    assert param_count(model) == PARAMS[name]
    assert_matches_fixture(model, name)
    assert model.input_size == (3, 224, 224)


@pytest.mark.parametrize("name, growth, blocks, final", [
    ("densenet121", 32, (6, 12, 24, 16), 1024), ("densenet161", 48, (6, 12, 36, 24), 2208),
    ("densenet169", 32, (6, 12, 32, 32), 1664), ("densenet201", 32, (6, 12, 48, 32), 1920)])
def test_blocks_grow_by_the_growth_rate(name, growth, blocks, final):
    model = CONSTRUCTORS[name](num_classes=10)
    counts = [len(getattr(model.features, f"denseblock{i + 1}")) for i in range(4)]
    assert tuple(counts) == blocks
    layer = model.features.denseblock2.denselayer3
    assert layer.conv2.out_channels == growth and layer.conv1.out_channels == 4 * growth
    assert model.features.norm5.num_features == model.classifier.in_features == final


def test_feature_shapes_at_native_size():
    model = densenet121().eval()
    shapes = {}
    for name in ("pool0", "denseblock1", "transition1", "denseblock4", "norm5"):
        getattr(model.features, name).register_forward_hook(
            lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape)))
    with mc.no_grad():
        assert tuple(model(mc.randn(1, 3, 224, 224)).shape) == (1, 1000)
    assert shapes == {"pool0": (1, 64, 56, 56), "denseblock1": (1, 256, 56, 56),
                      "transition1": (1, 128, 28, 28), "denseblock4": (1, 1024, 7, 7),
                      "norm5": (1, 1024, 7, 7)}


@pytest.mark.parametrize("name", ["densenet121", "densenet161"])
def test_output_shape_small_input(name):
    mc.manual_seed(0)
    model = CONSTRUCTORS[name](num_classes=10).eval()
    with mc.no_grad():
        out = model(mc.randn(2, 3, 32, 32)).numpy()
    assert out.shape == (2, 10) and np.all(np.isfinite(out))


def test_initialisation_follows_torchvision():
    mc.manual_seed(0)
    model = densenet121(num_classes=10)
    conv = model.features.denseblock3.denselayer1.conv1        # fan_in = 256
    assert abs(float(np.std(conv.weight.detach().numpy())) - np.sqrt(2 / 256)) < 0.003
    assert np.all(model.classifier.bias.detach().numpy() == 0)
    assert np.all(model.features.norm5.weight.detach().numpy() == 1)


def _step(model, x, target):
    """Train-mode outputs, then the gradients of a fixed weighted sum of them."""
    for p in model.parameters():
        p.grad = None
    x = mc.tensor(x, requires_grad=True)
    out = model.train()(x)
    (out * mc.tensor(target)).sum().backward()
    return out.detach().numpy(), x.grad.numpy(), \
        {k: p.grad.numpy() for k, p in model.named_parameters()}


def test_memory_efficient_gives_the_same_outputs_and_gradients(monkeypatch):
    mc.manual_seed(0)
    plain, efficient = tiny(), tiny(memory_efficient=True)
    efficient.load_state_dict(plain.state_dict())
    calls = []
    monkeypatch.setattr(densenet_module, "checkpoint",
                        lambda *a, **k: calls.append(1) or mc.utils.checkpoint(*a, **k))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 3, 32, 32)).astype(np.float32)
    target = rng.standard_normal((3, 5)).astype(np.float32)
    out_p, dx_p, grads_p = _step(plain, x, target)
    assert not calls
    out_e, dx_e, grads_e = _step(efficient, x, target)
    assert len(calls) == 5                                      # one per dense layer
    np.testing.assert_allclose(out_e, out_p, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx_e, dx_p, rtol=1e-4, atol=1e-7)
    assert grads_e.keys() == grads_p.keys()
    for key in grads_p:
        np.testing.assert_allclose(grads_e[key], grads_p[key], rtol=1e-4, atol=1e-6,
                                   err_msg=key)
    assert np.abs(grads_p["features.denseblock1.denselayer1.conv1.weight"]).max() > 0


def test_memory_efficient_is_skipped_without_grad(monkeypatch):
    calls = []
    monkeypatch.setattr(densenet_module, "checkpoint", lambda *a, **k: calls.append(1))
    model = tiny(memory_efficient=True).eval()
    with mc.no_grad():
        assert tuple(model(mc.randn(1, 3, 32, 32)).shape) == (1, 5)
    assert not calls


def test_memory_efficient_keys_equal_torchvision():
    assert_matches_fixture(densenet121(memory_efficient=True), "densenet121")


def test_memory_efficient_training_step_equals_the_plain_one():
    mc.manual_seed(0)
    plain, efficient = tiny(), tiny(memory_efficient=True)
    efficient.load_state_dict(plain.state_dict())
    x = mc.randn(4, 3, 32, 32)
    y = mc.tensor(np.array([0, 1, 2, 3]))
    losses = []
    for model in (plain, efficient):
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(3):
            model.train()
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        losses.append(float(loss.item()))
    assert losses[1] == pytest.approx(losses[0], rel=1e-5)
    for (key, p), q in zip(plain.named_parameters(), efficient.parameters()):
        np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-4,
                                   atol=1e-6, err_msg=key)
    mc.manual_seed(0)
    assert_sgd_lowers_loss(tiny(memory_efficient=True), (4, 3, 32, 32), 5, lr=0.01, steps=2)


def test_sgd_steps_lower_the_loss():
    mc.manual_seed(0)
    assert_sgd_lowers_loss(densenet121(num_classes=10), (4, 3, 32, 32), 10, lr=0.001, steps=2)


def test_dropout_makes_train_and_eval_differ():
    mc.manual_seed(0)
    model = tiny(drop_rate=0.5)
    assert model.features.denseblock1.denselayer1.drop_rate == 0.5
    assert_train_eval_differ(model, mc.randn(2, 3, 32, 32))
    assert_train_eval_differ(densenet121(num_classes=10), mc.randn(2, 3, 32, 32))


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(growth_rate=0), r"DenseNet: growth_rate.*0"),
    (dict(block_config=(6, 0, 24, 16)), r"DenseNet: block_config.*\(6, 0, 24, 16\)"),
    (dict(drop_rate=1.5), r"DenseNet: drop_rate.*1.5"),
    (dict(bn_size=2.5), r"DenseNet: bn_size.*2.5"),
])
def test_bad_arguments_are_named(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        densenet121(**kwargs)


def test_constructor_options_override_the_configuration():
    model = densenet121(num_classes=7, growth_rate=12, block_config=(2, 2, 2, 2),
                        num_init_features=16, bn_size=2, drop_rate=0.1)
    assert model.features.conv0.out_channels == 16
    assert model.features.denseblock1.denselayer1.conv1.out_channels == 24
    assert len(model.features.denseblock4) == 2 and model.classifier.out_features == 7
    assert isinstance(model.features.transition1.pool, nn.AvgPool2d)


def test_logits_equal_torchvision():
    pytest.importorskip("torchvision")
    assert_logits_parity(densenet121(), "densenet121", (1, 3, 224, 224))
