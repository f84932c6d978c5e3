"""Network in Network: mlpconv blocks, parameter count (7,595,176), feature-map sizes at 224
(54, 27, 13, 6), global average pooling, output shapes and training."""
import numpy as np
import pytest
from model_helpers import assert_sgd_lowers_loss, assert_train_eval_differ, param_count

import minicnn as mc
from minicnn import nn
from minicnn.models import NiN, nin

SMALL = 64          # 64 → 14 → 7 → 3 → 1 through conv1 and the three pools


def test_blocks_and_parameter_count():
    model = nin()
    assert isinstance(model, NiN) and model.input_size == (3, 224, 224)
    assert param_count(model) == 7_595_176
    blocks = [m for m in model.features if isinstance(m, nn.Sequential)]
    assert [param_count(b) for b in blocks] == [34_944 + 2 * 9_312, 614_656 + 2 * 65_792,
                                                885_120 + 2 * 147_840,
                                                3_539_968 + 1_049_600 + 1_025_000]
    for block in blocks:
        kinds = [type(m).__name__ for m in block]
        assert kinds == ["Conv2d", "ReLU"] * 3
        assert [c.kernel_size for c in block if isinstance(c, nn.Conv2d)][1:] == [(1, 1)] * 2
    assert [(c.kernel_size, c.stride, c.padding) for c in (b[0] for b in blocks)] == [
        ((11, 11), (4, 4), (0, 0)), ((5, 5), (1, 1), (2, 2)), ((3, 3), (1, 1), (1, 1)),
        ((3, 3), (1, 1), (1, 1))]
    assert not any(isinstance(m, nn.Linear) for m in model.modules())


def test_initialisation():
    mc.manual_seed(0)
    model = nin()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    for conv in convs[:-1]:
        kh, kw = conv.kernel_size
        expected = np.sqrt(2.0 / (conv.in_channels * kh * kw))     # Kaiming, fan_in, ReLU
        assert abs(conv.weight.detach().numpy().std() / expected - 1) < 0.05
    assert abs(convs[-1].weight.detach().numpy().std() - 0.01) < 5e-4
    assert not any(np.any(conv.bias.detach().numpy()) for conv in convs)


def test_feature_map_sizes_at_224():
    mc.manual_seed(0)
    model = nin(num_classes=10).eval()
    sizes = []
    for module in model.features:
        module.register_forward_hook(lambda m, i, out: sizes.append(tuple(out.shape[1:])))
    with mc.no_grad():
        out = model(mc.randn(1, 3, 224, 224))
    assert sizes == [(96, 54, 54), (96, 27, 27), (256, 27, 27), (256, 13, 13), (384, 13, 13),
                     (384, 6, 6), (384, 6, 6), (10, 6, 6)]
    assert tuple(out.shape) == (1, 10)


def test_output_is_the_average_of_the_class_maps():
    mc.manual_seed(0)
    model = nin(num_classes=5).eval()
    x = mc.randn(3, 3, SMALL, SMALL)
    with mc.no_grad():
        maps = model.features(x).numpy()
        out = model(x).numpy()
    assert maps.shape == (3, 5, 1, 1) and out.shape == (3, 5)
    np.testing.assert_allclose(out, maps.mean(axis=(2, 3)), rtol=1e-6)
    assert np.all(out >= 0)                      # the last 1×1 conv has a ReLU too


def test_train_and_eval_differ():
    mc.manual_seed(0)
    assert_train_eval_differ(nin(num_classes=10), mc.randn(2, 3, SMALL, SMALL))


def test_sgd_steps_lower_the_loss():
    mc.manual_seed(0)
    assert_sgd_lowers_loss(nin(num_classes=10), (4, 3, SMALL, SMALL), 10, lr=0.003, steps=3)


@pytest.mark.parametrize("kwargs, argument", [({"num_classes": 0}, "num_classes"),
                                              ({"dropout": 1.01}, "dropout")])
def test_bad_arguments_are_named(kwargs, argument):
    value = repr(next(iter(kwargs.values())))
    with pytest.raises(ValueError, match=rf"nin: {argument}.*{value}"):
        nin(**kwargs)
