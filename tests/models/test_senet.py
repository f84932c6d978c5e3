"""SE-ResNet-50 and SENet-154 (timm `seresnet50`, `senet154`): parameter counts and state_dict
keys, the SE blocks (mc.nn.SqueezeExcitation after bn3), SENet-154's deep stem, halved conv1
and 3×3 shortcuts, timm's zero-initialised bn3, output shapes, a training step, and timm's
logits with its weights."""
import numpy as np
import pytest
from model_helpers import (assert_logits_parity, assert_matches_fixture, assert_sgd_lowers_loss,
                           assert_train_eval_differ, param_count)

import minicnn as mc
from minicnn import nn
from minicnn.models import Bottleneck, ResNet, senet154, seresnet50
from minicnn.models.senet import make_divisible, se_block


@pytest.fixture(scope="module")
def senet154_model():
    """SENet-154 takes seconds to initialise: build it once for this file."""
    return senet154()


def blocks(model):
    return [b for layer in (model.layer1, model.layer2, model.layer3, model.layer4)
            for b in layer]


def test_seresnet50_parameter_count_and_keys_equal_timm():
    model = seresnet50()
    assert isinstance(model, ResNet)
    assert param_count(model) == 28_088_024
    assert_matches_fixture(model, "seresnet50")
    assert model.input_size == (3, 224, 224)


def test_senet154_parameter_count_and_keys_equal_timm(senet154_model):
    assert param_count(senet154_model) == 115_088_984
    assert_matches_fixture(senet154_model, "senet154")


def test_senet154_structure(senet154_model):
    model = senet154_model
    assert [type(m) for m in model.conv1] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU] * 2 + [nn.Conv2d]
    assert [model.conv1[i].out_channels for i in (0, 3, 6)] == [64, 64, 128]
    assert model.conv1[0].stride == (2, 2) and model.bn1.num_features == 128
    assert [len(layer) for layer in (model.layer1, model.layer2, model.layer3, model.layer4)] \
        == [3, 8, 36, 3]
    first = model.layer2[0]
    assert first.conv1.out_channels == 256 and first.conv2.out_channels == 512  # reduce_first 2
    assert first.conv2.groups == 64 and first.conv2.stride == (2, 2)
    down = first.downsample[0]
    assert down.kernel_size == (3, 3) and down.stride == (2, 2) and down.padding == (1, 1)
    assert model.layer1[0].downsample[0].kernel_size == (1, 1)     # no stride, 1×1


@pytest.mark.parametrize("name", ["seresnet50", "senet154"])
def test_every_bottleneck_has_an_se_block(name, request):
    model = seresnet50() if name == "seresnet50" else request.getfixturevalue("senet154_model")
    for block in blocks(model):
        assert isinstance(block, Bottleneck) and isinstance(block.se, nn.SqueezeExcitation)
        channels = block.bn3.num_features
        assert block.se.fc1.out_channels == channels // 16 == make_divisible(channels / 16)
        assert block.se.fc1.bias is not None and block.se.fc2.out_channels == channels
        assert np.all(block.bn3.weight.detach().numpy() == 0)       # timm's zero_init_last


def test_make_divisible_rounds_to_multiples_of_8():
    assert [make_divisible(v) for v in (16, 4, 13, 12, 11.9, 20)] == [16, 8, 16, 16, 8, 24]


def test_se_rescales_the_residual_branch_before_the_shortcut():
    mc.manual_seed(0)
    block = Bottleneck(512, 128, attention=se_block).eval()       # seresnet50's layer2[1]
    x = mc.tensor(np.abs(np.random.default_rng(0).standard_normal((2, 512, 4, 4)))
                  .astype(np.float32))
    with mc.no_grad():
        branch = block.relu(block.bn1(block.conv1(x)))
        branch = block.bn3(block.conv3(block.relu(block.bn2(block.conv2(branch)))))
        want = nn.functional.relu(block.se(branch) + x)
        np.testing.assert_allclose(block(x).numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
        without_se = nn.functional.relu(branch + x)
        assert not np.allclose(block(x).numpy(), without_se.numpy(), rtol=1e-3)


@pytest.mark.parametrize("size", [32, 64])
def test_seresnet50_output_shape_small_input(size):
    mc.manual_seed(0)
    model = seresnet50(num_classes=10).eval()
    with mc.no_grad():
        out = model(mc.randn(2, 3, size, size)).numpy()
    assert out.shape == (2, 10) and np.all(np.isfinite(out))


def test_senet154_output_shape_small_input(senet154_model):
    with mc.no_grad():
        out = senet154_model.eval()(mc.randn(1, 3, 32, 32)).numpy()
    assert out.shape == (1, 1000) and np.all(np.isfinite(out))


def test_train_and_eval_differ():
    mc.manual_seed(0)
    assert_train_eval_differ(seresnet50(num_classes=10), mc.randn(2, 3, 32, 32))


def test_sgd_steps_lower_the_loss():
    mc.manual_seed(0)
    assert_sgd_lowers_loss(seresnet50(num_classes=10), (4, 3, 32, 32), 10, lr=0.01, steps=2)


def test_seresnet50_logits_equal_timm():
    pytest.importorskip("timm")
    assert_logits_parity(seresnet50(), "seresnet50", (1, 3, 224, 224))


def test_senet154_logits_equal_timm(senet154_model):
    pytest.importorskip("timm")
    assert_logits_parity(senet154_model, "senet154", (1, 3, 224, 224))
