"""Activations and softmax: known values, numerical stability, errors (gradcheck, PyTorch
parity and dtypes of every activation: op_table.py)."""
import warnings

import numpy as np
import pytest
from conftest import assert_torch_parity, random_array

import minicnn as mc
import minicnn.functional as F


def torch_functional():
    return pytest.importorskip("torch").nn.functional


def test_activation_known_values():
    x = mc.tensor(np.array([-2.0, -0.5, 0.5, 7.0]))
    np.testing.assert_allclose(F.relu(x).numpy(), [0, 0, 0.5, 7])
    np.testing.assert_allclose(F.leaky_relu(x, 0.1).numpy(), [-0.2, -0.05, 0.5, 7])
    np.testing.assert_allclose(F.relu6(x).numpy(), [0, 0, 0.5, 6])
    np.testing.assert_allclose(F.hardtanh(x).numpy(), [-1, -0.5, 0.5, 1])
    np.testing.assert_allclose(F.elu(x, alpha=2.0).numpy(),
                               [2 * np.expm1(-2), 2 * np.expm1(-0.5), 0.5, 7])
    np.testing.assert_allclose(F.sigmoid(mc.tensor(np.zeros(1))).numpy(), [0.5])


def test_gelu_exact_is_erf_precise_in_float64():
    # math.erf under the kernel: exact GELU agrees with torch's to float64 precision,
    # which the tanh approximation (error ~1e-4) would not.
    TF = torch_functional()
    x = random_array((50,), seed=2) * 3
    assert_torch_parity(F.gelu, TF.gelu, x, rtol=1e-12, atol=1e-14)
    approx = F.gelu(mc.tensor(x), approximate="tanh").numpy()
    assert np.abs(approx - F.gelu(mc.tensor(x)).numpy()).max() > 1e-5


def test_softmax_sums_to_one_and_log_softmax_is_its_log():
    x = mc.tensor(random_array((4, 7), seed=4))
    s = F.softmax(x, dim=1).numpy()
    np.testing.assert_allclose(s.sum(axis=1), np.ones(4), rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(x, dim=1).numpy(), np.log(s), rtol=1e-12)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_is_stable_for_huge_logits(fn):
    TF = torch_functional()
    x = random_array((4, 10), seed=5, dtype=np.float32) * 1e4
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow / invalid-value warnings either
        out = getattr(F, fn)(mc.tensor(x), dim=1).numpy()
    assert np.all(np.isfinite(out))
    # log_softmax values reach -1e4 here, where float32 spacing is ~1e-3: compare relatively.
    assert_torch_parity(lambda t: getattr(F, fn)(t, dim=1),
                        lambda t: getattr(TF, fn)(t, dim=1), x, atol=1e-3)
    shifted = getattr(F, fn)(mc.tensor(x - x.max(axis=1, keepdims=True)), dim=1).numpy()
    np.testing.assert_allclose(out, shifted, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["sigmoid", "silu", "tanh", "elu", "gelu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturating_activations_are_stable_for_large_inputs(name, dtype):
    TF = torch_functional()
    x = np.array([-1000.0, -500.0, -80.0, -1.0, 0.0, 1.0, 80.0, 500.0, 1000.0], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = mc.tensor(x, requires_grad=True)
        out = getattr(F, name)(t)
        out.sum().backward()
    assert np.all(np.isfinite(out.detach().numpy())) and np.all(np.isfinite(t.grad.numpy()))
    assert_torch_parity(getattr(F, name), getattr(TF, name), x)


def test_softmax_requires_dim():
    x = mc.tensor(random_array((2, 3)))
    for fn in (F.softmax, F.log_softmax):
        with pytest.raises(TypeError, match=rf"{fn.__name__}: the 'dim' argument is required"):
            fn(x)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_rejects_bad_dim_and_integer_input(fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: dim=2 is out of range.*2 dim"):
        fn(mc.tensor(random_array((2, 3))), dim=2)
    with pytest.raises(TypeError, match=rf"{fn.__name__}: needs a floating tensor.*int64"):
        fn(mc.tensor(np.arange(6).reshape(2, 3)), dim=1)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match=r"gelu: approximate must be 'none' or 'tanh', got 'bad'"):
        F.gelu(mc.tensor(random_array((3,))), approximate="bad")


def test_hardtanh_rejects_min_above_max():
    with pytest.raises(ValueError, match=r"hardtanh: min_val=2.0 is greater than max_val=1.0"):
        F.hardtanh(mc.tensor(random_array((3,))), 2.0, 1.0)
