"""MobileNet v1 and v2: timm's and torchvision's keys and counts, the v1 paper's parameters and
multiply-adds per width multiplier and resolution (Tables 6 and 7), any input size,
initialisation, training, and logits parity with timm and torchvision."""
import math

import numpy as np
import pytest
from model_helpers import (assert_logits_parity, assert_matches_fixture, assert_sgd_lowers_loss,
                           assert_train_eval_differ, param_count)

import minicnn as mc
from minicnn import nn
from minicnn.models import MobileNetV1, MobileNetV2, mobilenet_v1, mobilenet_v2

CONSTRUCTORS = {"mobilenet_v1": mobilenet_v1, "mobilenet_v2": mobilenet_v2}

# width multiplier α: (paper's millions of parameters, paper's and our millions of mult-adds)
V1_WIDTHS = {1.0: (4.2, 569, 568_740_352), 0.75: (2.6, 325, 325_400_448),
             0.5: (1.3, 149, 149_497_088), 0.25: (0.5, 41, 41_030_272)}
# resolution ρ at α = 1: (paper's millions of mult-adds, ours); the paper prints 290 for
# 290.68M at 160 (and 569 for 568.74M at 224), so it is matched to within its last digit
V1_RESOLUTIONS = {224: (569, 568_740_352), 192: (418, 418_121_728), 160: (290, 290_675_200),
                  128: (186, 186_400_768)}


@pytest.mark.parametrize("name, params", [("mobilenet_v1", 4_231_976),
                                          ("mobilenet_v2", 3_504_872)])
def test_keys_shapes_and_count_match_the_reference(name, params):
    model = CONSTRUCTORS[name]()
    assert_matches_fixture(model, name)
    assert param_count(model) == params and model.input_size == (3, 224, 224)


@pytest.mark.parametrize("width", sorted(V1_WIDTHS))
def test_v1_parameters_per_width_match_the_paper(width):
    model = mobilenet_v1(width_mult=width)
    assert round(param_count(model) / 1e6, 1) == V1_WIDTHS[width][0]
    assert model.conv_stem.out_channels == 32 * width
    assert model.num_features == model.classifier.in_features == 1024 * width


@pytest.mark.parametrize("width", sorted(V1_WIDTHS))
def test_v1_mult_adds_per_width_match_the_paper(width):
    _, paper, exact = V1_WIDTHS[width]
    macs = mc.utils.count_macs(mobilenet_v1(width_mult=width), (3, 224, 224))
    assert macs == exact and round(macs / 1e6) == paper


@pytest.mark.parametrize("size", sorted(V1_RESOLUTIONS))
def test_v1_mult_adds_per_resolution_match_the_paper(size):
    paper, exact = V1_RESOLUTIONS[size]
    macs = mc.utils.count_macs(mobilenet_v1(), (3, size, size))
    assert macs == exact and abs(macs / 1e6 - paper) < 1


def test_v1_blocks():
    model = mobilenet_v1()
    assert isinstance(model, MobileNetV1)
    assert [len(stage) for stage in model.blocks] == [1, 2, 2, 6, 2]
    blocks = [block for stage in model.blocks for block in stage]
    assert [b.conv_dw.stride[0] for b in blocks] == [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
    assert all(b.conv_dw.groups == b.conv_dw.in_channels == b.conv_dw.out_channels
               for b in blocks)
    assert all(b.conv_pw.kernel_size == (1, 1) for b in blocks)
    assert sum(isinstance(m, nn.ReLU6) for m in model.modules()) == 1 + 2 * len(blocks)
    assert all(bn.eps == 1e-5 for bn in model.modules() if isinstance(bn, nn.BatchNorm2d))


def test_v1_initialisation_as_timm():
    mc.manual_seed(0)
    model = mobilenet_v1()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    for conv in convs:
        kh, kw = conv.kernel_size
        expected = math.sqrt(2.0 / (kh * kw * conv.out_channels // conv.groups))
        assert abs(conv.weight.detach().numpy().std() / expected - 1) < 0.1
    weight = model.classifier.weight.detach().numpy()
    assert np.abs(weight).max() <= 1 / math.sqrt(1000) and weight.std() > 0.015
    assert not np.any(model.classifier.bias.detach().numpy())


@pytest.mark.parametrize("name", ["mobilenet_v1", "mobilenet_v2"])
@pytest.mark.parametrize("batch, size", [(1, 224), (2, 160), (2, 33), (3, 32)])
def test_output_shape_at_any_resolution(name, batch, size):
    mc.manual_seed(0)
    model = CONSTRUCTORS[name](num_classes=10).eval()
    with mc.no_grad():
        out = model(mc.randn(batch, 3, size, size))
    assert tuple(out.shape) == (batch, 10) and np.all(np.isfinite(out.numpy()))


def test_v2_blocks():
    model = mobilenet_v2()
    assert isinstance(model, MobileNetV2) and model.last_channel == 1280
    blocks = list(model.features)[1:-1]
    assert len(blocks) == 17
    assert sum(block.use_res_connect for block in blocks) == 10
    assert sum(isinstance(m, nn.ReLU6) for m in model.modules()) == 2 + 16 * 2 + 1
    assert isinstance(model.classifier[0], nn.Dropout) and model.classifier[0].p == 0.2


@pytest.mark.parametrize("width, stem, last, params", [(0.5, 16, 1280, 1_968_680),
                                                       (1.4, 48, 1792, 6_108_776)])
def test_v2_width_multiplier(width, stem, last, params):
    model = mobilenet_v2(width_mult=width)
    assert model.features[0][0].out_channels == stem and model.last_channel == last
    assert param_count(model) == params


@pytest.mark.parametrize("name", ["mobilenet_v1", "mobilenet_v2"])
def test_train_and_eval_differ(name):
    mc.manual_seed(0)
    assert_train_eval_differ(CONSTRUCTORS[name](num_classes=10), mc.randn(4, 3, 32, 32))


@pytest.mark.parametrize("name", ["mobilenet_v1", "mobilenet_v2"])
def test_sgd_steps_lower_the_loss(name):
    # 64×64, not 32×32: at 32×32 the last stages are 1×1, BatchNorm normalises over 4 values
    # and the trajectory is chaotic (float32 rounding in another summation order flips it)
    mc.manual_seed(0)
    model = CONSTRUCTORS[name](num_classes=10)
    assert_sgd_lowers_loss(model, (4, 3, 64, 64), 10, lr=0.003)


@pytest.mark.parametrize("name", ["mobilenet_v1", "mobilenet_v2"])
@pytest.mark.parametrize("kwargs, argument", [({"num_classes": 0}, "num_classes"),
                                              ({"width_mult": 0.0}, "width_mult"),
                                              ({"width_mult": -1}, "width_mult"),
                                              ({"dropout": 1.5}, "dropout")])
def test_bad_arguments_are_named(name, kwargs, argument):
    value = repr(next(iter(kwargs.values())))
    with pytest.raises(ValueError, match=rf"{name}: {argument}.*{value}"):
        CONSTRUCTORS[name](**kwargs)


def test_bad_round_nearest_is_named():
    with pytest.raises(ValueError, match=r"mobilenet_v2: round_nearest.*0"):
        mobilenet_v2(round_nearest=0)


@pytest.mark.parametrize("name, library", [("mobilenet_v1", "timm"),
                                           ("mobilenet_v2", "torchvision")])
def test_logits_parity_with_the_reference(name, library):
    pytest.importorskip(library)
    assert_logits_parity(CONSTRUCTORS[name](), name, (2, 3, 224, 224))
