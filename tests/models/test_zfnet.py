"""ZFNet: layer sizes and parameter count (62,357,608), the paper's feature-map sizes at 224
(110, 55, 26, 13, 6), initialisation, output shapes and training."""
import numpy as np
import pytest
from model_helpers import assert_sgd_lowers_loss, assert_train_eval_differ, param_count

import minicnn as mc
from minicnn import nn
from minicnn.models import ZFNet, zfnet

SMALL = 64


def test_layers_and_parameter_count():
    model = zfnet()
    assert isinstance(model, ZFNet) and model.input_size == (3, 224, 224)
    assert param_count(model) == 62_357_608
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size, c.stride, c.padding) for c in convs] == [
        (96, (7, 7), (2, 2), (1, 1)), (256, (5, 5), (2, 2), (0, 0)),
        (384, (3, 3), (1, 1), (1, 1)), (384, (3, 3), (1, 1), (1, 1)),
        (256, (3, 3), (1, 1), (1, 1))]
    assert [param_count(c) for c in convs] == [14_208, 614_656, 885_120, 1_327_488, 884_992]
    assert [param_count(fc) for fc in model.classifier if isinstance(fc, nn.Linear)] == \
        [37_752_832, 16_781_312, 4_097_000]
    mean_std = [(float(c.weight.detach().numpy().mean()), float(c.weight.detach().numpy().std()))
                for c in convs]
    assert all(abs(mean) < 2e-3 and abs(std - 0.01) < 1e-3 for mean, std in mean_std)
    assert all(not np.any(m.bias.detach().numpy()) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear)))


def test_feature_map_sizes_follow_the_paper():
    mc.manual_seed(0)
    model = zfnet(num_classes=10).eval()
    sizes = []
    for module in model.features:
        if isinstance(module, (nn.Conv2d, nn.MaxPool2d)):
            module.register_forward_hook(lambda m, i, out: sizes.append(tuple(out.shape[1:])))
    with mc.no_grad():
        out = model(mc.randn(1, 3, 224, 224))
    assert sizes == [(96, 110, 110), (96, 55, 55), (256, 26, 26), (256, 13, 13),
                     (384, 13, 13), (384, 13, 13), (256, 13, 13), (256, 6, 6)]
    assert tuple(out.shape) == (1, 10)
    kinds = [type(m).__name__ for m in model.features][:8]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "LocalResponseNorm"] * 2


def test_small_input_output_shape():
    mc.manual_seed(0)
    model = zfnet(num_classes=7).eval()
    with mc.no_grad():
        out = model(mc.randn(3, 3, SMALL, SMALL))
    assert tuple(out.shape) == (3, 7) and np.all(np.isfinite(out.numpy()))


def test_train_and_eval_differ():
    mc.manual_seed(0)
    assert_train_eval_differ(zfnet(num_classes=10), mc.randn(2, 3, SMALL, SMALL))


def test_sgd_steps_lower_the_loss():
    mc.manual_seed(0)
    assert_sgd_lowers_loss(zfnet(num_classes=10), (4, 3, SMALL, SMALL), 10, lr=0.01, steps=2)


@pytest.mark.parametrize("kwargs, argument", [({"num_classes": -1}, "num_classes"),
                                              ({"num_classes": 2.5}, "num_classes"),
                                              ({"dropout": -0.1}, "dropout")])
def test_bad_arguments_are_named(kwargs, argument):
    value = repr(next(iter(kwargs.values())))
    with pytest.raises(ValueError, match=rf"zfnet: {argument}.*{value}"):
        zfnet(**kwargs)
