"""CIFAR ResNets of He et al. 2015 §4.2: exact parameter counts (equal for plain and residual),
the layer count 6n + 2, stage shapes, option-A shortcuts (parameter-free subsample + zero
channels), plain nets without shortcuts, argument errors, and a training step."""
import numpy as np
import pytest
from model_helpers import assert_sgd_lowers_loss, assert_train_eval_differ, param_count

import minicnn as mc
from minicnn import nn
from minicnn.models import CifarResNet, resnet_cifar
from minicnn.models.resnet_cifar import PlainBlock, ZeroPadShortcut

# depth: parameters with 10 classes (the paper's 0.27M, 0.46M, 0.66M, 0.85M, 1.7M)
PARAMS = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962}


@pytest.mark.parametrize("depth", list(PARAMS))
def test_parameter_counts_equal_for_plain_and_residual(depth):
    residual, plain = resnet_cifar(depth), resnet_cifar(depth, plain=True)
    assert param_count(residual) == param_count(plain) == PARAMS[depth]
    assert {k: tuple(v.shape) for k, v in residual.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in plain.state_dict().items()}


@pytest.mark.parametrize("depth", [20, 56])
def test_depth_counts_weighted_layers(depth):
    model = resnet_cifar(depth)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(convs) + len(linears) == depth
    assert [len(stage) for stage in (model.layer1, model.layer2, model.layer3)] == \
        [(depth - 2) // 6] * 3
    assert sorted({c.out_channels for c in convs}) == [16, 32, 64]


@pytest.mark.parametrize("plain", [False, True])
def test_stage_shapes_and_output(plain):
    mc.manual_seed(0)
    model = resnet_cifar(20, plain=plain, num_classes=7).eval()
    assert model.input_size == (3, 32, 32)
    shapes = {}
    for name in ("layer1", "layer2", "layer3"):
        getattr(model, name).register_forward_hook(
            lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape)))
    with mc.no_grad():
        out = model(mc.randn(2, 3, 32, 32)).numpy()
    assert out.shape == (2, 7) and np.all(np.isfinite(out))
    assert shapes == {"layer1": (2, 16, 32, 32), "layer2": (2, 32, 16, 16),
                      "layer3": (2, 64, 8, 8)}


def test_option_a_shortcut_subsamples_and_pads_with_zeros():
    shortcut = ZeroPadShortcut(16, 32, 2)
    assert not list(shortcut.parameters())
    x = np.random.default_rng(0).standard_normal((2, 16, 8, 8)).astype(np.float32)
    out = shortcut(mc.tensor(x)).numpy()
    assert out.shape == (2, 32, 4, 4)
    np.testing.assert_array_equal(out[:, :16], x[:, :, ::2, ::2])
    assert np.all(out[:, 16:] == 0)
    model = resnet_cifar(20)
    shortcuts = [m for m in model.modules() if isinstance(m, ZeroPadShortcut)]
    assert [(s.in_channels, s.out_channels, s.stride) for s in shortcuts] == [(16, 32, 2),
                                                                             (32, 64, 2)]


def test_residual_block_with_a_zero_branch_is_its_shortcut():
    model = resnet_cifar(20).eval()
    for block in (model.layer2[0], model.layer1[1]):
        nn.init.zeros_(block.bn2.weight)
    x = mc.tensor(np.abs(np.random.default_rng(1).standard_normal((2, 16, 8, 8)))
                  .astype(np.float32))
    with mc.no_grad():
        np.testing.assert_allclose(model.layer1[1](x).numpy(), x.numpy(), rtol=1e-6)
        out = model.layer2[0](x).numpy()
    np.testing.assert_allclose(out[:, :16], x.numpy()[:, :, ::2, ::2], rtol=1e-6)
    assert np.all(out[:, 16:] == 0)


def test_plain_network_has_no_shortcuts_and_differs_with_the_same_weights():
    mc.manual_seed(0)
    residual, plain = resnet_cifar(20).eval(), resnet_cifar(20, plain=True).eval()
    plain.load_state_dict(residual.state_dict())
    assert all(isinstance(b, PlainBlock) and b.downsample is None
               for stage in (plain.layer1, plain.layer2, plain.layer3) for b in stage)
    assert not any(isinstance(m, ZeroPadShortcut) for m in plain.modules())
    assert not any(isinstance(m, PlainBlock) for m in residual.modules())
    x = mc.randn(2, 3, 32, 32)
    with mc.no_grad():
        assert not np.allclose(plain(x).numpy(), residual(x).numpy(), rtol=1e-2)
        block = plain.layer1[0]
        np.testing.assert_allclose(block(x[:, :1].repeat(1, 16, 1, 1)).numpy(),
                                   block.relu(block.residual(x[:, :1].repeat(1, 16, 1, 1)))
                                   .numpy())


def test_initialisation():
    mc.manual_seed(0)
    model = resnet_cifar(56)
    conv = model.layer3[4].conv1                            # fan_in = 64 · 9
    assert abs(float(np.std(conv.weight.detach().numpy())) - np.sqrt(2 / 576)) < 0.004
    assert all(np.all(m.weight.detach().numpy() == 1) for m in model.modules()
               if isinstance(m, nn.BatchNorm2d))


@pytest.mark.parametrize("depth", [18, 21, 26, 0, 1202.0, "20"])
def test_bad_depth_is_named(depth):
    with pytest.raises(ValueError, match=f"resnet_cifar: depth.*{depth!r}"):
        resnet_cifar(depth)


def test_class_and_function_build_the_same_network():
    assert isinstance(resnet_cifar(32), CifarResNet)
    assert resnet_cifar(32).state_dict().keys() == CifarResNet(32, True).state_dict().keys()


@pytest.mark.parametrize("plain", [False, True])
def test_train_and_eval_differ(plain):
    mc.manual_seed(0)
    assert_train_eval_differ(resnet_cifar(20, plain=plain), mc.randn(2, 3, 32, 32))


@pytest.mark.parametrize("plain, lr", [(False, 0.01), (True, 0.03)])
def test_sgd_steps_lower_the_loss(plain, lr):
    mc.manual_seed(0)
    assert_sgd_lowers_loss(resnet_cifar(20, plain=plain), (8, 3, 32, 32), 10, lr=lr, steps=2)
