"""Pre-activation ResNet-50 (timm `resnetv2_50`): parameter count and state_dict keys, block
order (norm before conv, projection on the preactivated input), output shapes, timm's
initialisation, a training step, and timm's logits with its weights."""
import numpy as np
import pytest
from model_helpers import (assert_logits_parity, assert_matches_fixture, assert_sgd_lowers_loss,
                           assert_train_eval_differ, param_count)

import minicnn as mc
from minicnn import nn
from minicnn.models import ResNetV2, resnetv2_50
from minicnn.models.resnetv2 import PreActBottleneck


def test_parameter_count_and_keys_equal_timm():
    model = resnetv2_50()
    assert param_count(model) == 25_549_352
    assert_matches_fixture(model, "resnetv2_50")
    assert model.input_size == (3, 224, 224)


def test_stage_layout():
    model = resnetv2_50(num_classes=10)
    assert [len(stage.blocks) for stage in model.stages] == [3, 4, 6, 3]
    firsts = [stage.blocks[0] for stage in model.stages]
    assert all(b.downsample is not None for b in firsts)
    assert all(b.downsample is None for stage in model.stages for b in list(stage.blocks)[1:])
    assert [b.conv2.stride for b in firsts] == [(1, 1), (2, 2), (2, 2), (2, 2)]
    assert [b.downsample.conv.stride for b in firsts] == [(1, 1), (2, 2), (2, 2), (2, 2)]


def test_block_preactivates_its_input_and_its_projection():
    mc.manual_seed(0)
    block = PreActBottleneck(8, 16, stride=2, project=True).eval()
    x = mc.randn(2, 8, 6, 6)
    with mc.no_grad():
        preact = nn.functional.relu(block.norm1(x))
        branch = block.conv3(block.norm3(block.conv2(block.norm2(block.conv1(preact)))))
        want = branch + block.downsample.conv(preact)
        np.testing.assert_allclose(block(x).numpy(), want.numpy(), rtol=1e-6)
    identity = PreActBottleneck(16, 16).eval()
    nn.init.zeros_(identity.conv3.weight)
    with mc.no_grad():                       # no projection: the shortcut is x itself
        np.testing.assert_array_equal(identity(x.repeat(1, 2, 1, 1)).numpy(),
                                      x.repeat(1, 2, 1, 1).numpy())


@pytest.mark.parametrize("size, batch", [(64, 2), (32, 1)])
def test_output_shape_small_input(size, batch):
    mc.manual_seed(0)
    model = resnetv2_50(num_classes=10).eval()
    with mc.no_grad():
        out = model(mc.randn(batch, 3, size, size)).numpy()
    assert out.shape == (batch, 10) and np.all(np.isfinite(out))


def test_initialisation_follows_timm():
    mc.manual_seed(0)
    model = resnetv2_50(num_classes=10)
    fc = model.head.fc
    assert tuple(fc.weight.shape) == (10, 2048, 1, 1)
    assert abs(float(np.std(fc.weight.detach().numpy())) - 0.01) < 0.002
    assert np.all(fc.bias.detach().numpy() == 0)
    conv = model.stages[2].blocks[1].conv2                    # fan_out = 256 · 9
    assert abs(float(np.std(conv.weight.detach().numpy())) - np.sqrt(2 / 2304)) < 0.002
    assert not np.all(conv.weight.detach().numpy() == 0)
    zeroed = resnetv2_50(num_classes=10, zero_init_last=True)
    assert all(np.all(b.conv3.weight.detach().numpy() == 0)
               for stage in zeroed.stages for b in stage.blocks)


def test_bad_layers_are_named():
    with pytest.raises(ValueError, match=r"ResNetV2: layers.*\(3, 4, 6\)"):
        ResNetV2((3, 4, 6))


def test_train_and_eval_differ():
    mc.manual_seed(0)
    assert_train_eval_differ(resnetv2_50(num_classes=10), mc.randn(2, 3, 32, 32))


def test_sgd_steps_lower_the_loss():
    # zero_init_last (timm's option) keeps the eval-mode loss, measured with running statistics
    # from a few batches of 4, comparable before and after
    mc.manual_seed(0)
    model = resnetv2_50(num_classes=10, zero_init_last=True)
    assert_sgd_lowers_loss(model, (4, 3, 32, 32), 10, lr=0.01, steps=2)


def test_logits_equal_timm():
    pytest.importorskip("timm")
    assert_logits_parity(resnetv2_50(), "resnetv2_50", (1, 3, 224, 224))
