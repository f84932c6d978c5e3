"""Dropout: no sample-for-sample parity with PyTorch is possible, so test its properties (its
gradcheck under a fixed mask: op_table.py)."""
import numpy as np
import pytest
from conftest import random_array

import minicnn as mc
import minicnn.functional as F


def nonzero_input(shape, seed=0, dtype=np.float64):
    """Data with no zeros, so a zero in the output can only come from the mask."""
    x = random_array(shape, seed, dtype)
    return np.where(np.abs(x) < 0.1, 0.5, x).astype(dtype)


@pytest.mark.parametrize("p, training", [(0.5, False), (0.0, True), (0.0, False), (1.0, False)])
def test_dropout_is_identity_in_eval_and_at_p0(p, training):
    x = mc.tensor(nonzero_input((4, 5)), requires_grad=True)
    out = F.dropout(x, p=p, training=training)
    np.testing.assert_array_equal(out.detach().numpy(), x.detach().numpy())
    g = random_array((4, 5), seed=1)
    (out * mc.tensor(g)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), g)


def test_dropout_p1_gives_zeros_and_zero_gradient():
    x = mc.tensor(nonzero_input((4, 5)), requires_grad=True)
    out = F.dropout(x, p=1.0)
    np.testing.assert_array_equal(out.detach().numpy(), np.zeros((4, 5)))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((4, 5)))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_scales_kept_elements_and_drops_fraction_p(p, dtype):
    mc.manual_seed(0)
    x = nonzero_input((200, 500), dtype=dtype)
    out = F.dropout(mc.tensor(x), p=p).numpy()
    assert out.dtype == dtype and out.shape == x.shape
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / (1 - p), rtol=1e-6)
    # 1e5 Bernoulli(p) draws: the standard deviation of the fraction is <= 0.0016.
    assert abs((~kept).mean() - p) < 0.01
    # inverted dropout keeps the expectation: mean(out / x) ≈ 1
    assert abs((out / x).mean() - 1) < 0.05


def test_dropout_is_reproducible_after_manual_seed():
    x = mc.tensor(nonzero_input((30, 40)))
    mc.manual_seed(123)
    first = F.dropout(x, p=0.5).numpy()
    second = F.dropout(x, p=0.5).numpy()
    mc.manual_seed(123)
    again = F.dropout(x, p=0.5).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first != 0, second != 0)  # the generator moves on between calls


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_gradient_is_the_mask(dtype):
    p = 0.3
    mc.manual_seed(7)
    x = mc.tensor(nonzero_input((6, 7), dtype=dtype), requires_grad=True)
    out = F.dropout(x, p=p)
    mask = out.detach().numpy() / x.detach().numpy()
    dropped, kept = mask == 0, np.isclose(mask, 1 / (1 - p), rtol=1e-6)
    assert np.all(dropped | kept) and dropped.any() and kept.any()
    g = random_array((6, 7), seed=2, dtype=dtype)
    (out * mc.tensor(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), g * mask, rtol=1e-6)


@pytest.mark.parametrize("p", [1.5, -0.1])
def test_dropout_rejects_probability_outside_0_1(p):
    with pytest.raises(ValueError, match=rf"dropout: dropout probability has to be between 0 "
                                         rf"and 1, but got {p}"):
        F.dropout(mc.tensor(random_array((3,))), p=p)
