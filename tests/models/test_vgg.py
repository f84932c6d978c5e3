"""VGG: torchvision's keys and counts for A, B, D, E (± BatchNorm), the paper's A-LRN and C,
initialisation, output shapes, training, the fully-convolutional conversion for dense
evaluation, and logits parity with torchvision.

Every VGG carries the 102.8M-parameter FC6, so each construction takes seconds: the count and
key tests build with init_weights=False, and the forward tests share one 10-class vgg11."""
import numpy as np
import pytest
from model_helpers import (assert_logits_parity, assert_matches_fixture, assert_sgd_lowers_loss,
                           assert_train_eval_differ, param_count)

import minicnn as mc
from minicnn import models, nn
from minicnn.models import VGG, FullyConvolutionalVGG

PARAMS = {"vgg11": 132_863_336, "vgg11_bn": 132_868_840, "vgg13": 133_047_848,
          "vgg13_bn": 133_053_736, "vgg16": 138_357_544, "vgg16_bn": 138_365_992,
          "vgg19": 143_667_240, "vgg19_bn": 143_678_248,
          "vgg11_lrn": 132_863_336, "vgg16_c": 133_638_952}
TORCHVISION = [name for name in PARAMS if name not in ("vgg11_lrn", "vgg16_c")]
CONVS = {"vgg11": 8, "vgg13": 10, "vgg16": 13, "vgg19": 16, "vgg11_lrn": 8, "vgg16_c": 13}


def _convs(model):
    return [m for m in model.features if isinstance(m, nn.Conv2d)]


@pytest.fixture(scope="module")
def vgg11_10():
    mc.manual_seed(0)
    return models.vgg11(num_classes=10).eval()


@pytest.fixture(scope="module")
def dense_vgg11_10(vgg11_10):
    return vgg11_10.to_fully_convolutional().eval()


@pytest.mark.parametrize("name", TORCHVISION)
def test_torchvision_keys_shapes_and_count(name):
    model = getattr(models, name)(init_weights=False)
    assert isinstance(model, VGG) and model.input_size == (3, 224, 224)
    assert_matches_fixture(model, name)
    assert param_count(model) == PARAMS[name]
    batch_norms = [m for m in model.features if isinstance(m, nn.BatchNorm2d)]
    assert len(_convs(model)) == CONVS[name.replace("_bn", "")]
    assert len(batch_norms) == (len(_convs(model)) if name.endswith("_bn") else 0)


def test_a_lrn_has_lrn_after_the_first_relu_only():
    model = models.vgg11_lrn(init_weights=False)
    assert param_count(model) == PARAMS["vgg11_lrn"]
    kinds = [type(m).__name__ for m in model.features][:5]
    assert kinds == ["Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d", "Conv2d"]
    lrns = [m for m in model.modules() if isinstance(m, nn.LocalResponseNorm)]
    assert [(m.size, m.alpha, m.beta, m.k) for m in lrns] == [(5, 1e-4, 0.75, 2.0)]
    assert len(_convs(model)) == CONVS["vgg11_lrn"]


def test_c_has_1x1_third_convs_in_stages_3_to_5():
    model = models.vgg16_c(init_weights=False)
    assert param_count(model) == PARAMS["vgg16_c"]
    kernels = [c.kernel_size[0] for c in _convs(model)]
    assert kernels == [3, 3, 3, 3, 3, 3, 1, 3, 3, 1, 3, 3, 1]
    assert all(c.padding == (c.kernel_size[0] // 2,) * 2 for c in _convs(model))
    assert [c.out_channels for c in _convs(model) if c.kernel_size == (1, 1)] == [256, 512, 512]


def test_init_weights():
    mc.manual_seed(0)
    model = models.vgg11_bn(num_classes=10)
    for conv in _convs(model):
        weight = conv.weight.detach().numpy()
        expected = np.sqrt(2.0 / (conv.out_channels * 9))       # Kaiming, fan_out, ReLU
        assert abs(weight.std() / expected - 1) < 0.05
        assert not np.any(conv.bias.detach().numpy())
    for bn in (m for m in model.features if isinstance(m, nn.BatchNorm2d)):
        assert np.all(bn.weight.detach().numpy() == 1) and not np.any(bn.bias.detach().numpy())
    for fc in (m for m in model.classifier if isinstance(m, nn.Linear)):
        assert abs(fc.weight.detach().numpy().std() - 0.01) < 5e-4
        assert not np.any(fc.bias.detach().numpy())


@pytest.mark.parametrize("batch, size", [(1, 224), (2, 32)])
def test_output_shape(vgg11_10, batch, size):
    with mc.no_grad():
        out = vgg11_10(mc.randn(batch, 3, size, size))
    assert tuple(out.shape) == (batch, 10) and np.all(np.isfinite(out.numpy()))


def test_train_and_eval_differ(vgg11_10):
    try:
        assert_train_eval_differ(vgg11_10, mc.randn(2, 3, 32, 32))
    finally:
        vgg11_10.eval()


def test_sgd_steps_lower_the_loss():
    mc.manual_seed(0)
    model = models.vgg11_bn(num_classes=10, init_weights=False)
    assert_sgd_lowers_loss(model, (2, 3, 32, 32), 10, lr=0.001, steps=1)


def test_fully_convolutional_equals_the_net_at_224(vgg11_10, dense_vgg11_10):
    assert isinstance(dense_vgg11_10, FullyConvolutionalVGG)
    assert not any(isinstance(m, nn.AdaptiveAvgPool2d) for m in dense_vgg11_10.modules())
    convs = [m for m in dense_vgg11_10.classifier if isinstance(m, nn.Conv2d)]
    assert [tuple(c.weight.shape) for c in convs] == [(4096, 512, 7, 7), (4096, 4096, 1, 1),
                                                      (10, 4096, 1, 1)]
    x = mc.randn(1, 3, 224, 224)
    with mc.no_grad():
        expected = vgg11_10(x).numpy()
        scores = dense_vgg11_10.score_map(x).numpy()
    assert scores.shape == (1, 10, 1, 1)
    np.testing.assert_allclose(scores[:, :, 0, 0], expected, rtol=1e-4,
                               atol=1e-4 * np.abs(expected).max())


def test_fully_convolutional_takes_larger_inputs(dense_vgg11_10):
    x = mc.randn(1, 3, 288, 288)
    with mc.no_grad():
        scores = dense_vgg11_10.score_map(x).numpy()
        out = dense_vgg11_10(x).numpy()
    assert scores.shape == (1, 10, 3, 3) and out.shape == (1, 10)
    np.testing.assert_allclose(out, scores.mean(axis=(2, 3)), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="larger than the padded input"):
        dense_vgg11_10(mc.randn(1, 3, 200, 200))


def test_fully_convolutional_copies_the_weights(vgg11_10, dense_vgg11_10):
    ours = dict(vgg11_10.named_parameters())
    dense = dict(dense_vgg11_10.named_parameters())
    for key, param in ours.items():
        if key.startswith("features."):
            assert dense[key] is not param
            np.testing.assert_array_equal(dense[key].detach().numpy(), param.detach().numpy())
    fc6 = vgg11_10.classifier[0].weight.detach().numpy()
    np.testing.assert_array_equal(dense["classifier.0.weight"].detach().numpy(),
                                  fc6.reshape(4096, 512, 7, 7))


@pytest.mark.parametrize("kwargs, argument", [({"num_classes": 0}, "num_classes"),
                                              ({"dropout": 2}, "dropout")])
def test_bad_arguments_are_named(kwargs, argument):
    value = repr(next(iter(kwargs.values())))
    with pytest.raises(ValueError, match=rf"VGG: {argument}.*{value}"):
        models.vgg11(**kwargs)


@pytest.mark.parametrize("name", ["vgg11", "vgg11_bn", "vgg16"])
def test_logits_parity_with_torchvision(name):
    pytest.importorskip("torchvision")
    assert_logits_parity(getattr(models, name)(init_weights=False), name, (1, 3, 224, 224))
