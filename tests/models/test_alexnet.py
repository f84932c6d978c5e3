"""AlexNet: torchvision's keys and count, the 2012 paper's groups, LRN, pools, parameter count
and initialisation, output shapes, training, and logits parity with torchvision."""
import numpy as np
import pytest
from model_helpers import (assert_logits_parity, assert_matches_fixture, assert_sgd_lowers_loss,
                           assert_train_eval_differ, param_count)

import minicnn as mc
from minicnn import nn
from minicnn.models import AlexNet, alexnet

SMALL = 67          # the smallest input both variants take (three 3×3/2 pools after conv1)


def _layers(model, kind):
    return [m for m in model.modules() if isinstance(m, kind)]


def test_torchvision_variant_matches_fixture():
    model = alexnet()
    assert_matches_fixture(model, "alexnet")
    assert param_count(model) == 61_100_840
    assert model.input_size == (3, 224, 224) and model.variant == "torchvision"


def test_paper_variant_layers_and_count():
    model = alexnet(variant="paper")
    assert param_count(model) == 60_965_224
    assert model.input_size == (3, 227, 227)
    convs = _layers(model, nn.Conv2d)
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.groups) for c in convs] \
        == [(3, 96, (11, 11), (4, 4), 1), (96, 256, (5, 5), (1, 1), 2),
            (256, 384, (3, 3), (1, 1), 1), (384, 384, (3, 3), (1, 1), 2),
            (384, 256, (3, 3), (1, 1), 2)]
    assert [param_count(c) for c in convs] == [34_944, 307_456, 885_120, 663_936, 442_624]
    linears = _layers(model, nn.Linear)
    assert [(fc.in_features, fc.out_features) for fc in linears] == \
        [(9216, 4096), (4096, 4096), (4096, 1000)]


def test_paper_variant_order_of_relu_lrn_and_pool():
    model = alexnet(num_classes=10, variant="paper")
    kinds = [type(m).__name__ for m in model.features]
    assert kinds == ["Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d",
                     "Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d",
                     "Conv2d", "ReLU", "Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d"]
    for lrn in _layers(model, nn.LocalResponseNorm):
        assert (lrn.size, lrn.alpha, lrn.beta, lrn.k) == (5, 1e-4, 0.75, 2.0)
    for pool in _layers(model, nn.MaxPool2d):
        assert (pool.kernel_size, pool.stride) == (3, 2)
    dropouts = [i for i, m in enumerate(model.classifier) if isinstance(m, nn.Dropout)]
    assert dropouts == [2, 5]                   # after the ReLUs of FC6 and FC7


def test_paper_variant_initialisation():
    mc.manual_seed(0)
    model = alexnet(variant="paper")
    layers = _layers(model, nn.Conv2d) + _layers(model, nn.Linear)
    for layer in layers:
        weight = layer.weight.detach().numpy()
        assert abs(weight.mean()) < 1e-3 and abs(weight.std() - 0.01) < 5e-4
    biases = [set(np.unique(layer.bias.detach().numpy()).tolist()) for layer in layers]
    assert biases == [{0.0}, {1.0}, {0.0}, {1.0}, {1.0}, {1.0}, {1.0}, {0.0}]


@pytest.mark.parametrize("variant, size, feature_size", [("torchvision", 224, 6),
                                                         ("paper", 227, 6),
                                                         ("torchvision", SMALL, 1),
                                                         ("paper", SMALL, 1)])
def test_output_shapes(variant, size, feature_size):
    mc.manual_seed(0)
    model = alexnet(num_classes=10, variant=variant).eval()
    assert isinstance(model, AlexNet)
    x = mc.randn(2, 3, size, size)
    with mc.no_grad():
        features = model.features(x)
        out = model(x)
    assert tuple(features.shape) == (2, 256, feature_size, feature_size)
    assert tuple(out.shape) == (2, 10) and np.all(np.isfinite(out.numpy()))


@pytest.mark.parametrize("variant", ["torchvision", "paper"])
def test_train_and_eval_differ(variant):
    mc.manual_seed(0)
    model = alexnet(num_classes=10, variant=variant)
    assert_train_eval_differ(model, mc.randn(2, 3, SMALL, SMALL))


# the paper's unit biases make its scores far more sensitive to the weights: a smaller step
@pytest.mark.parametrize("variant, lr", [("torchvision", 0.01), ("paper", 1e-4)])
def test_sgd_steps_lower_the_loss(variant, lr):
    mc.manual_seed(0)
    model = alexnet(num_classes=10, variant=variant)
    assert_sgd_lowers_loss(model, (4, 3, SMALL, SMALL), 10, lr=lr, steps=2)


def test_paper_variant_lrn_follows_pytorch_unless_told_the_papers_convention():
    """The paper does not divide alpha by the window size: with lrn_convention="paper" each
    LRN normalises as PyTorch's would with alpha · 5."""
    default = alexnet(num_classes=10, variant="paper")
    paper = alexnet(num_classes=10, variant="paper", lrn_convention="paper")
    assert [lrn.alpha_convention for lrn in _layers(default, nn.LocalResponseNorm)] == \
        ["pytorch"] * 2
    lrns = _layers(paper, nn.LocalResponseNorm)
    assert [(lrn.size, lrn.alpha, lrn.alpha_convention) for lrn in lrns] == \
        [(5, 1e-4, "paper")] * 2
    assert param_count(paper) == param_count(default)
    x = mc.randn(1, 96, 5, 5) * 30
    expected = nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)(x).numpy()
    np.testing.assert_allclose(lrns[0](x).numpy(), expected, rtol=1e-6)
    assert not np.allclose(_layers(default, nn.LocalResponseNorm)[0](x).numpy(), expected)


@pytest.mark.parametrize("kwargs, argument", [({"variant": "caffe"}, "variant"),
                                              ({"num_classes": 0}, "num_classes"),
                                              ({"dropout": 1.5}, "dropout"),
                                              ({"variant": "paper", "lrn_convention": "caffe"},
                                               "lrn_convention"),
                                              ({"lrn_convention": "paper"}, "lrn_convention")])
def test_bad_arguments_are_named(kwargs, argument):
    value = repr(kwargs[argument])
    with pytest.raises(ValueError, match=rf"alexnet: {argument}.*{value}"):
        alexnet(**kwargs)


def test_logits_parity_with_torchvision():
    pytest.importorskip("torchvision")
    assert_logits_parity(alexnet(), "alexnet", (1, 3, 224, 224))
