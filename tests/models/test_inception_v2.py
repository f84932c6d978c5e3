"""BN-Inception (Inception-v2): the exact parameter count of the appendix table's network, the
module widths and pooling kinds, BatchNorm after every conv, the double 3×3 in place of the 5×5,
output shapes (224 and 64), a training step."""
import numpy as np
import pytest
from model_helpers import assert_sgd_lowers_loss, assert_train_eval_differ, param_count

import minicnn as mc
from minicnn import nn
from minicnn.models import BNInception, inception_v2
from minicnn.models.inception_v2 import MODULES

# module: (output channels, pooling branch kind) from Fig. 5's table
OUTPUTS = {"inception3a": (256, nn.AvgPool2d), "inception3b": (320, nn.AvgPool2d),
           "inception3c": (576, nn.MaxPool2d), "inception4a": (576, nn.AvgPool2d),
           "inception4b": (576, nn.AvgPool2d), "inception4c": (608, nn.AvgPool2d),
           "inception4d": (608, nn.AvgPool2d), "inception4e": (1056, nn.MaxPool2d),
           "inception5a": (1024, nn.AvgPool2d), "inception5b": (1024, nn.MaxPool2d)}


@pytest.fixture(scope="module")
def model():
    mc.manual_seed(0)
    return inception_v2(num_classes=10)


def test_parameter_count():
    built = inception_v2()
    assert param_count(built) == 11_285_224
    assert param_count(built.fc) == 1024 * 1000 + 1000
    assert isinstance(built, BNInception) and built.input_size == (3, 224, 224)


def test_module_outputs_and_grid_at_native_size(model):
    shapes = {}
    handles = [getattr(model, name).register_forward_hook(
        lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape))) for name in MODULES]
    with mc.no_grad():
        out = model.eval()(mc.randn(1, 3, 224, 224)).numpy()
    for handle in handles:
        handle.remove()
    assert out.shape == (1, 10) and np.all(np.isfinite(out))
    grid = {"3a": 28, "3b": 28, "3c": 14, "4a": 14, "4b": 14, "4c": 14, "4d": 14, "4e": 7,
            "5a": 7, "5b": 7}
    assert shapes == {name: (1, channels, grid[name[-2:]], grid[name[-2:]])
                      for name, (channels, _) in OUTPUTS.items()}


@pytest.mark.parametrize("name", list(MODULES))
def test_branches_pooling_and_double_3x3(name):
    module = getattr(inception_v2(num_classes=10), name)
    channels, pool = OUTPUTS[name]
    reducing = name in ("inception3c", "inception4e")
    assert ("branch1" in module._modules) != reducing
    branch4 = module.branch4
    pooling = branch4 if reducing else branch4[0]
    assert type(pooling) is pool and pooling.stride == (2 if reducing else 1)
    double = [layer.conv for layer in module.branch3]
    assert [c.kernel_size for c in double] == [(1, 1), (3, 3), (3, 3)]
    assert double[2].stride == ((2, 2) if reducing else (1, 1))
    assert all(c.kernel_size != (5, 5) for c in module.modules() if isinstance(c, nn.Conv2d))


def test_batch_norm_after_every_conv(model):
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(convs) == len(norms) == 3 + 8 * 7 + 2 * 5      # stem, modules, reducing modules
    assert all(c.bias is None for c in convs)
    assert not any(isinstance(m, nn.Dropout) for m in model.modules())


@pytest.mark.parametrize("size", [64, 96])
def test_output_shape_small_input(model, size):
    with mc.no_grad():
        assert tuple(model.eval()(mc.randn(2, 3, size, size)).shape) == (2, 10)


def test_train_and_eval_differ(model):
    assert_train_eval_differ(model, mc.randn(2, 3, 64, 64))


def test_sgd_steps_lower_the_loss(model):
    mc.manual_seed(0)
    assert_sgd_lowers_loss(model, (2, 3, 64, 64), 10, lr=0.01, steps=1)
