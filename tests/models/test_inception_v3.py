"""Inception-v3: torchvision's parameter counts and state_dict keys, output shapes (299 and the
smallest input, 75), the training-mode auxiliary output, initialisation, the branch paths and
forks of the shared Mixed module, argument errors, a training step, and torchvision's logits."""
import numpy as np
import pytest
from model_helpers import (assert_logits_parity, assert_matches_fixture, assert_sgd_lowers_loss,
                           assert_train_eval_differ,
                           param_count)

import minicnn as mc
from minicnn import nn, optim
from minicnn.models import Inception3, InceptionOutputs, inception_loss, inception_v3
from minicnn.models.inception_blocks import Mixed

SMALL = 75          # the smallest input: Mixed_7a's 3×3/2 convs need a 3×3 grid


@pytest.fixture(scope="module")
def model():
    """Ten classes, no auxiliary head (it needs 299×299), no dropout (a deterministic
    training-mode loss), PyTorch's default initialisation (with torchvision's N(0, 0.1²) the
    untrained eval-mode activations overflow)."""
    mc.manual_seed(0)
    return inception_v3(num_classes=10, aux_logits=False, init_weights=False, dropout=0.0)


@pytest.mark.parametrize("aux_logits, count", [(True, 27_161_264), (False, 23_834_568)])
def test_parameter_count(aux_logits, count):
    built = inception_v3(aux_logits=aux_logits, init_weights=False)
    assert param_count(built) == count
    assert isinstance(built, Inception3) and built.input_size == (3, 299, 299)


def test_state_dict_keys_equal_torchvision():
    assert_matches_fixture(inception_v3(init_weights=False), "inception_v3")


def test_output_shape_native_input(model):
    with mc.no_grad():
        out = model.eval()(mc.randn(1, 3, 299, 299)).numpy()
    assert out.shape == (1, 10) and np.all(np.isfinite(out))


@pytest.mark.parametrize("size", [SMALL, 96])
def test_output_shape_small_input(model, size):
    with mc.no_grad():
        assert tuple(model.eval()(mc.randn(2, 3, size, size)).shape) == (2, 10)


def test_auxiliary_head_on_the_17x17_grid():
    head = inception_v3(num_classes=10, init_weights=False).AuxLogits
    assert tuple(head(mc.randn(2, 768, 17, 17)).shape) == (2, 10)


def test_training_returns_the_auxiliary_output_of_mixed_6e():
    built = inception_v3(num_classes=10, init_weights=False)
    seen = []
    built.AuxLogits = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(768, 10))
    built.AuxLogits.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0].shape))
    out = built.train()(mc.randn(2, 3, SMALL, SMALL))
    assert isinstance(out, InceptionOutputs) and out._fields == ("logits", "aux_logits")
    assert tuple(out.logits.shape) == tuple(out.aux_logits.shape) == (2, 10)
    assert seen == [(2, 768, 3, 3)]
    loss = inception_loss(out, mc.tensor(np.array([1, 2])))
    loss.backward()
    assert np.any(built.AuxLogits[2].weight.grad.numpy() != 0)
    with mc.no_grad():
        assert isinstance(built.eval()(mc.randn(1, 3, SMALL, SMALL)), mc.Tensor)
    assert len(seen) == 1


def test_initialisation_follows_torchvision():
    mc.manual_seed(0)
    built = inception_v3(num_classes=10)
    conv = built.Mixed_6b.branch7x7_2.conv.weight.detach().numpy()
    assert abs(conv.std() - 0.1) < 0.005
    assert abs(built.AuxLogits.fc.weight.detach().numpy().std() - 0.001) < 1e-4
    assert abs(built.AuxLogits.conv1.conv.weight.detach().numpy().std() - 0.1) < 0.005
    bn = built.Mixed_7c.branch_pool.bn
    assert bn.eps == 1e-3 and np.all(bn.weight.detach().numpy() == 1)


def test_mixed_follows_paths_and_forks():
    layers = {"a": nn.Conv2d(2, 3, 1), "b1": nn.Conv2d(3, 4, 1), "b2": nn.Conv2d(3, 5, 1),
              "pool": nn.MaxPool2d(3, stride=1, padding=1)}
    mixed = Mixed(layers, "a b1|b2", "pool")
    x = mc.randn(1, 2, 4, 4)
    with mc.no_grad():
        out = mixed(x).numpy()
        a = layers["a"](x)
        expected = np.concatenate([layers["b1"](a).numpy(), layers["b2"](a).numpy(),
                                   layers["pool"](x).numpy()], axis=1)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert set(mixed.state_dict()) == {"a.weight", "a.bias", "b1.weight", "b1.bias",
                                       "b2.weight", "b2.bias"}


def test_mixed_names_unknown_layers():
    with pytest.raises(ValueError, match=r"Mixed: .*\['c'\]"):
        Mixed({"a": nn.Identity()}, "a c")


def test_train_and_eval_differ(model):
    assert_train_eval_differ(model, mc.randn(2, 3, SMALL, SMALL))


def test_sgd_steps_lower_the_loss(model):
    mc.manual_seed(0)
    assert_sgd_lowers_loss(model, (2, 3, SMALL, SMALL), 10, lr=0.003, steps=1)


def test_bad_dropout_is_named():
    with pytest.raises(ValueError, match=r"Inception3: dropout .*2"):
        inception_v3(dropout=2)


@pytest.mark.parametrize("transform", [False, True])
def test_logits_equal_torchvision(transform):
    """Eval mode with the auxiliary classifier built returns the plain logits, as torchvision."""
    pytest.importorskip("torchvision")
    built = inception_v3(transform_input=transform, init_weights=False)

    def forward(module, x):
        module.transform_input = transform
        return module(x)

    assert_logits_parity(built, "inception_v3", (1, 3, 299, 299), forward=forward)
