"""Inception-ResNet-v1 and -v2: parameter counts (timm's for -v2, with its state_dict keys), the
shared naming of the two configurations, block counts and widths, the scaled residual sum,
grid sizes at the smallest input (75), argument errors, a training step, and timm's logits."""
import numpy as np
import pytest
from model_helpers import (assert_logits_parity, assert_matches_fixture, assert_sgd_lowers_loss,
                           assert_train_eval_differ,
                           load_fixture, param_count)

import minicnn as mc
from minicnn.models import InceptionResNet, inception_resnet_v1, inception_resnet_v2
from minicnn.models.inception_resnet import InceptionResNetBlock

CONSTRUCTORS = {"inception_resnet_v1": inception_resnet_v1,
                "inception_resnet_v2": inception_resnet_v2}
SMALL = 75          # the smallest input: Reduction-B's 3×3/2 convs need a 3×3 grid
# name: (stem output, Reduction-A output, Reduction-B output, features, blocks A/B/C)
WIDTHS = {"inception_resnet_v1": (256, 896, 1792, 1792, (5, 10, 5)),
          "inception_resnet_v2": (320, 1088, 2080, 1536, (10, 20, 10))}


@pytest.fixture(scope="module", params=list(CONSTRUCTORS))
def model(request):
    """Ten classes, no dropout (a deterministic training-mode loss)."""
    mc.manual_seed(0)
    return CONSTRUCTORS[request.param](num_classes=10, drop_rate=0.0)


def test_v2_parameter_count_and_keys_equal_timm():
    built = inception_resnet_v2()
    assert param_count(built) == 55_843_464
    assert_matches_fixture(built, "inception_resnet_v2")
    assert isinstance(built, InceptionResNet) and built.input_size == (3, 299, 299)


def test_v1_parameter_count():
    built = inception_resnet_v1()
    assert param_count(built) == 22_756_328
    assert built.head_drop.p == 0.2                   # the paper's keep probability 0.8


def test_v1_keys_follow_v2_naming():
    """Every -v1 key is a -v2 (timm) key except the stem's last conv, which -v2 lacks."""
    v2 = {key for key, _ in load_fixture("inception_resnet_v2")["state_dict"]}
    v1 = set(inception_resnet_v1().state_dict())
    assert {key.split(".")[0] for key in v1 - v2} == {"conv2d_4b"}


@pytest.mark.parametrize("name", list(CONSTRUCTORS))
def test_block_counts_and_widths(name):
    stem, reduced_a, reduced_b, features, (a, b, c) = WIDTHS[name]
    built = CONSTRUCTORS[name](num_classes=10)
    assert (len(built.repeat), len(built.repeat_1), len(built.repeat_2) + 1) == (a, b, c)
    assert [built.repeat[0].conv2d.out_channels, built.repeat_1[0].conv2d.out_channels,
            built.block8.conv2d.out_channels] == [stem, reduced_a, reduced_b]
    assert [blk.scale for blk in (built.repeat[0], built.repeat_1[0], built.repeat_2[0],
                                  built.block8)] == [0.17, 0.10, 0.20, 1.0]
    assert built.repeat_2[-1].relu and not built.block8.relu
    assert built.num_features == features == built.classif.in_features


@pytest.mark.parametrize("relu", [True, False])
def test_residual_block_adds_the_scaled_projection(relu):
    block = InceptionResNetBlock(8, ((4,), (4, 6)), (1, 3), scale=0.17, relu=relu).eval()
    block.conv2d.weight._data[...] = 0
    block.conv2d.bias._data[...] = np.arange(8, dtype=np.float32) - 4
    x = np.random.default_rng(0).standard_normal((2, 8, 5, 5)).astype(np.float32)
    with mc.no_grad():
        out = block(mc.tensor(x)).numpy()
    expected = x + 0.17 * (np.arange(8) - 4)[:, None, None]
    np.testing.assert_allclose(out, np.maximum(expected, 0) if relu else expected, rtol=1e-6,
                               atol=1e-6)
    assert block.conv2d.in_channels == 4 + 6


def test_grid_sizes_at_the_smallest_input(model):
    stem, reduced_a, reduced_b, features, _ = WIDTHS[model.config]
    shapes = {}
    handles = [model._modules[name].register_forward_hook(
        lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape)))
        for name in ("conv2d_4a", "repeat", "repeat_1", "repeat_2", model.layer_names[-1])]
    with mc.no_grad():
        out = model.eval()(mc.randn(1, 3, SMALL, SMALL))
    for handle in handles:
        handle.remove()
    assert tuple(out.shape) == (1, 10)
    assert shapes == {"conv2d_4a": (1, 192, 15, 15), "repeat": (1, stem, 7, 7),
                      "repeat_1": (1, reduced_a, 3, 3), "repeat_2": (1, reduced_b, 1, 1),
                      model.layer_names[-1]: (1, features, 1, 1)}


def test_train_and_eval_differ(model):
    assert_train_eval_differ(model, mc.randn(2, 3, SMALL, SMALL))


def test_sgd_steps_lower_the_loss(model):
    mc.manual_seed(0)
    assert_sgd_lowers_loss(model, (2, 3, SMALL, SMALL), 10, lr=0.003, steps=1)


@pytest.mark.parametrize("build, pattern", [
    (lambda: InceptionResNet("inception_resnet_v3"),
     r"InceptionResNet: config .*'inception_resnet_v3'"),
    (lambda: inception_resnet_v1(drop_rate=1.2), r"InceptionResNet: drop_rate .*1.2")])
def test_bad_arguments_are_named(build, pattern):
    with pytest.raises(ValueError, match=pattern):
        build()


def test_v2_logits_equal_timm():
    pytest.importorskip("timm")
    assert_logits_parity(inception_resnet_v2(), "inception_resnet_v2", (1, 3, 299, 299))
