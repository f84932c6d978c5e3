"""Losses: known values, one_hot, and the messages of bad input (float64 gradcheck and
PyTorch parity over the option combinations: op_table.py)."""
import numpy as np
import pytest
from conftest import assert_torch_parity, random_array
from op_inputs import C, labels

import minicnn as mc
import minicnn.functional as F


def TF():
    return pytest.importorskip("torch").nn.functional


def test_cross_entropy_is_log_softmax_then_nll_and_known_value():
    x = random_array((5, C), seed=4)
    t = labels((5,))
    ce = F.cross_entropy(mc.tensor(x), mc.tensor(t)).item()
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(ce, -logp[np.arange(5), t].mean(), rtol=1e-12)
    # uniform logits: the loss is log C whatever the labels
    np.testing.assert_allclose(F.cross_entropy(mc.tensor(np.zeros((3, C))),
                                               mc.tensor(np.array([0, 3, 2]))).item(), np.log(C))


@pytest.mark.parametrize("num_classes", [-1, 6])
@pytest.mark.parametrize("shape", [(5,), (2, 3), ()])
def test_one_hot(shape, num_classes):
    t = np.random.default_rng(7).integers(0, 4, size=shape).astype(np.int64)
    t.reshape(-1)[0] = 3  # so that num_classes=-1 infers 4
    out = F.one_hot(mc.tensor(t), num_classes)
    width = 4 if num_classes == -1 else num_classes
    assert out.shape == shape + (width,) and out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), np.eye(width, dtype=np.int64)[t])
    assert_torch_parity(lambda a: F.one_hot(a, num_classes),
                        lambda a: TF().one_hot(a, num_classes), t)


def test_mse_and_l1_known_values():
    x, y = mc.tensor(np.array([1.0, -2.0, 3.0])), mc.tensor(np.array([0.0, 0.0, 5.0]))
    assert F.mse_loss(x, y).item() == pytest.approx((1 + 4 + 4) / 3)
    assert F.l1_loss(x, y, reduction="sum").item() == pytest.approx(5.0)


# ---- bad input ---------------------------------------------------------------------------

def logits(shape=(4, 10)):
    return mc.tensor(random_array(shape, dtype=np.float32))


def test_cross_entropy_rejects_float_labels():
    with pytest.raises(TypeError, match=r"cross_entropy: target must be int64 class indices.*"
                                        r"got float32 of shape \(4,\)"):
        F.cross_entropy(logits(), mc.tensor(np.zeros(4, dtype=np.float32)))


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("bad", [12, -3])
def test_label_out_of_range(op, bad):
    t = mc.tensor(np.array([0, bad, 2, 3]))
    with pytest.raises(ValueError, match=rf"{op}: target contains class {bad} but input has 10 "
                                         rf"classes \(input shape \(4, 10\)\)"):
        getattr(F, op)(logits(), t)


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("x_shape, t_shape", [((4, 10), (5,)), ((4, 10), (4, 1)),
                                              ((2, 10, 3, 3), (2, 3, 4))])
def test_target_shape_must_match_input(op, x_shape, t_shape):
    t = mc.tensor(np.zeros(t_shape, dtype=np.int64))
    x_str = str(x_shape).replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(ValueError, match=rf"{op}: target shape .* does not match input shape "
                                         rf"{x_str}"):
        getattr(F, op)(logits(x_shape), t)


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss", "mse_loss", "l1_loss",
                                "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                                "binary_cross_entropy_with_logits", "kl_div"])
def test_bad_reduction(op):
    x = logits((4, 10))
    x = x.sigmoid() if op == "binary_cross_entropy" else x
    t = mc.tensor(np.zeros(4, dtype=np.int64)) if op in ("cross_entropy", "nll_loss") else x
    with pytest.raises(ValueError, match=rf"{op}: reduction must be one of .*got 'avg'"):
        getattr(F, op)(x, t, reduction="avg")


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
def test_weight_of_wrong_shape(op):
    w = mc.tensor(np.ones(3, dtype=np.float32))
    with pytest.raises(ValueError, match=rf"{op}: weight must have shape \(10,\), got \(3,\)"):
        getattr(F, op)(logits(), mc.tensor(np.zeros(4, dtype=np.int64)), weight=w)


@pytest.mark.parametrize("op", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
                                "binary_cross_entropy", "binary_cross_entropy_with_logits",
                                "kl_div"])
def test_elementwise_losses_reject_different_shapes(op):
    with pytest.raises(ValueError, match=rf"{op}: input shape \(2, 3\) and target shape "
                                         rf"\(3, 2\) differ"):
        getattr(F, op)(logits((2, 3)), logits((3, 2)))


def test_one_hot_rejects_float_and_out_of_range():
    with pytest.raises(TypeError, match=r"one_hot: expects an integer tensor.*float32"):
        F.one_hot(mc.tensor(np.array([0.0, 1.0], dtype=np.float32)))
    with pytest.raises(ValueError, match=r"one_hot: class values must be in \[0, 3\), got "
                                         r"values in \[0, 5\]"):
        F.one_hot(mc.tensor(np.array([0, 5])), num_classes=3)


def test_cross_entropy_rejects_label_smoothing_outside_0_1():
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must be in \[0, 1\], "
                                         r"got 1.5"):
        F.cross_entropy(logits(), mc.tensor(np.zeros(4, dtype=np.int64)), label_smoothing=1.5)


def test_binary_cross_entropy_refuses_what_is_not_a_probability():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: all elements of input must be "
                                         r"probabilities in \[0, 1\], got values in "
                                         r"\[-0.5, 2.0\]"):
        F.binary_cross_entropy(mc.tensor([-0.5, 2.0]), mc.tensor([0.0, 1.0]))


def test_huber_and_smooth_l1_thresholds():
    x, y = logits((2, 3)), logits((2, 3))
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be non-negative, got -1"):
        F.smooth_l1_loss(x, y, beta=-1)
    with pytest.raises(ValueError, match="huber_loss: delta must be positive, got 0.0"):
        F.huber_loss(x, y, delta=0.0)
    # Huber is β times smooth L1 with β = δ
    np.testing.assert_allclose(F.huber_loss(x, y, delta=0.3).item(),
                               0.3 * F.smooth_l1_loss(x, y, beta=0.3).item(), rtol=1e-6)
