"""ResNet-18/34/50/101/152 and ResNeXt-50/101: torchvision's parameter counts and state_dict
keys, output shapes, initialisation, options (zero_init_residual, dilation, groups), argument
errors, a training step, and torchvision's logits with its weights."""
import numpy as np
import pytest
from model_helpers import (assert_logits_parity, assert_matches_fixture, assert_sgd_lowers_loss,
                           assert_train_eval_differ, param_count)

import minicnn as mc
from minicnn import nn
from minicnn.models import (BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50,
                            resnet101, resnet152, resnext50_32x4d, resnext101_32x8d)

CONSTRUCTORS = {f.__name__: f for f in (resnet18, resnet34, resnet50, resnet101, resnet152,
                                        resnext50_32x4d, resnext101_32x8d)}
PARAMS = {"resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
          "resnet101": 44_549_160, "resnet152": 60_192_808, "resnext50_32x4d": 25_028_904,
          "resnext101_32x8d": 88_791_336}
SMALL = ["resnet18", "resnet50", "resnext50_32x4d"]


@pytest.mark.parametrize("name", list(CONSTRUCTORS))
def test_parameter_count_and_keys_equal_torchvision(name):
    model = CONSTRUCTORS[name]()
    assert param_count(model) == PARAMS[name]
    assert_matches_fixture(model, name)
    assert model.input_size == (3, 224, 224)


@pytest.mark.parametrize("name", SMALL)
def test_output_shape_small_input(name):
    mc.manual_seed(0)
    model = CONSTRUCTORS[name](num_classes=10).eval()
    with mc.no_grad():
        out = model(mc.randn(2, 3, 64, 64)).numpy()
    assert out.shape == (2, 10) and np.all(np.isfinite(out))


def test_output_shape_native_input():
    model = resnet18().eval()
    with mc.no_grad():
        assert tuple(model(mc.randn(1, 3, 224, 224)).shape) == (1, 1000)


def test_stage_shapes_at_native_size():
    model = resnet50()
    shapes = {}
    for name in ("maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool"):
        getattr(model, name).register_forward_hook(
            lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape)))
    with mc.no_grad():
        model.eval()(mc.randn(1, 3, 224, 224))
    assert shapes == {"maxpool": (1, 64, 56, 56), "layer1": (1, 256, 56, 56),
                      "layer2": (1, 512, 28, 28), "layer3": (1, 1024, 14, 14),
                      "layer4": (1, 2048, 7, 7), "avgpool": (1, 2048, 1, 1)}


@pytest.mark.parametrize("name, block, groups, width", [
    ("resnet34", BasicBlock, 1, 64), ("resnet50", Bottleneck, 1, 64),
    ("resnext50_32x4d", Bottleneck, 32, 128)])
def test_blocks_and_grouped_widths(name, block, groups, width):
    model = CONSTRUCTORS[name](num_classes=10)
    first = model.layer1[0]
    assert all(isinstance(b, block) for layer in (model.layer1, model.layer4) for b in layer)
    assert first.conv2.groups == groups
    if block is Bottleneck:
        assert first.conv2.out_channels == width and first.conv3.out_channels == 256
    assert [len(getattr(model, f"layer{i}")) for i in range(1, 5)] == \
        [3, 4, 6, 3]


def test_initialisation_follows_torchvision():
    mc.manual_seed(0)
    model = resnet50(num_classes=10)
    conv = model.layer3[0].conv2                      # fan_out = 256 · 9
    std = float(np.std(conv.weight.detach().numpy()))
    assert abs(std - np.sqrt(2 / (256 * 9))) < 0.05 * np.sqrt(2 / (256 * 9))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            assert np.all(m.weight.detach().numpy() == 1)
            assert np.all(m.bias.detach().numpy() == 0)
    bound = 1 / np.sqrt(2048)                         # nn.Linear's default
    assert np.abs(model.fc.weight.detach().numpy()).max() <= bound


@pytest.mark.parametrize("name, last", [("resnet18", "bn2"), ("resnet50", "bn3")])
def test_zero_init_residual_zeroes_the_last_norm_of_each_block(name, last):
    model = CONSTRUCTORS[name](num_classes=10, zero_init_residual=True)
    blocks = [b for layer in (model.layer1, model.layer2, model.layer3, model.layer4)
              for b in layer]
    assert all(np.all(getattr(b, last).weight.detach().numpy() == 0) for b in blocks)
    assert all(np.all(b.bn1.weight.detach().numpy() == 1) for b in blocks)
    plain = CONSTRUCTORS[name](num_classes=10)
    assert not np.all(getattr(plain.layer1[0], last).weight.detach().numpy() == 0)


def test_zero_residual_branch_makes_a_block_its_shortcut():
    model = resnet18(num_classes=10, zero_init_residual=True).eval()
    x = mc.tensor(np.abs(np.random.default_rng(0).standard_normal((2, 64, 8, 8)))
                  .astype(np.float32))
    with mc.no_grad():
        np.testing.assert_allclose(model.layer1(x).numpy(), x.numpy(), rtol=1e-6)


def test_replace_stride_with_dilation_keeps_keys_and_resolution():
    model = resnet50(replace_stride_with_dilation=[False, True, True])
    assert_matches_fixture(model, "resnet50")
    assert model.layer4[1].conv2.dilation == (4, 4) and model.layer4[0].conv2.dilation == (2, 2)
    assert model.layer3[0].conv2.stride == (1, 1)
    seen = []
    model.layer4.register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape)))
    with mc.no_grad():
        assert tuple(model.eval()(mc.randn(1, 3, 64, 64)).shape) == (1, 1000)
    assert seen == [(1, 2048, 8, 8)]


@pytest.mark.parametrize("build, pattern", [
    (lambda: resnet18(replace_stride_with_dilation=[False, True]),
     r"ResNet: replace_stride_with_dilation.*\[False, True\]"),
    (lambda: resnet18(groups=2), r"BasicBlock: .*groups=2"),
    (lambda: resnet34(replace_stride_with_dilation=[False, False, True]),
     r"BasicBlock: dilation.*dilation=2"),
    (lambda: resnext50_32x4d(groups=8), r"resnext50_32x4d: groups is fixed at 32.*8"),
    (lambda: resnext101_32x8d(width_per_group=4), r"resnext101_32x8d: width_per_group.*4"),
    (lambda: ResNet(Bottleneck, [3, 4, 6]), r"ResNet: layers.*\[3, 4, 6\]"),
])
def test_bad_arguments_are_named(build, pattern):
    with pytest.raises(ValueError, match=pattern):
        build()


def test_train_and_eval_differ():
    mc.manual_seed(0)
    assert_train_eval_differ(resnet18(num_classes=10), mc.randn(2, 3, 32, 32))


# The loss is measured in eval mode, with running statistics from only a few batches of 4;
# zero_init_residual (blocks start as their shortcuts) keeps them usable.
@pytest.mark.parametrize("name", ["resnet18", "resnext50_32x4d"])
def test_sgd_steps_lower_the_loss(name):
    mc.manual_seed(0)
    model = CONSTRUCTORS[name](num_classes=10, zero_init_residual=True)
    assert_sgd_lowers_loss(model, (4, 3, 32, 32), 10, lr=0.01, steps=2)


@pytest.mark.parametrize("name", SMALL)
def test_logits_equal_torchvision(name):
    pytest.importorskip("torchvision")
    assert_logits_parity(CONSTRUCTORS[name](), name, (1, 3, 224, 224))
