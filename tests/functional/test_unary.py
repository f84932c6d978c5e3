"""exp, log, sqrt, rsqrt, abs, clamp: integer input, gradients at the kinks, values and
aliases, bad input (gradcheck, PyTorch parity and dtypes away from the kinks: op_table.py)."""
import numpy as np
import pytest

import minicnn as mc
from conftest import assert_torch_parity
from op_inputs import normal


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "rsqrt"])
def test_integer_input_gives_default_float(name):
    values = np.array([1, 2, 4])
    ours = getattr(mc, name)(mc.tensor(values))
    expected = getattr(np, name if name != "rsqrt" else "sqrt")(values.astype(np.float32))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), expected if name != "rsqrt" else 1 / expected,
                               rtol=1e-6)


@pytest.mark.parametrize("name, kwargs, expected_grad", [
    ("abs", {}, [-1, 0, 1, 1, -1]),                       # sign, 0 at 0 (as PyTorch)
    ("clamp", {"min": -1, "max": 1}, [1, 1, 1, 0, 0]),    # inclusive at both bounds
    ("clamp", {"min": 0}, [0, 1, 1, 1, 0]),
    ("clamp", {"max": 0}, [1, 1, 0, 0, 1]),
])
def test_gradient_at_kinks_matches_torch(name, kwargs, expected_grad):
    """The gradient at a kink is a convention. Ours is PyTorch's up to 2.13: abs' is the sign
    (0 at 0) and clamp's bounds are inclusive (gradient 1 at a bound). PyTorch 2.14 makes
    clamp's bounds exclusive, so clamp is compared with PyTorch beside its kinks, and its
    convention at them is checked against the values listed."""
    values = np.array([-1.0, 0.0, 1.0, 2.0, -2.0], dtype=np.float32)
    beside = values if name == "abs" else values + np.float32(0.25)
    assert_torch_parity(lambda x: getattr(x, name)(**kwargs), lambda x: getattr(x, name)(**kwargs),
                        beside)
    x = mc.tensor(values, requires_grad=True)
    getattr(mc, name)(x, **kwargs).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected_grad)


def test_clamp_values_and_aliases():
    x = mc.tensor([-3.0, -0.5, 0.5, 3.0])
    assert mc.clamp(x, -1, 1).tolist() == [-1.0, -0.5, 0.5, 1.0]
    assert mc.clip(x, min=0).tolist() == [0.0, 0.0, 0.5, 3.0]
    assert x.clip(max=0).tolist() == [-3.0, -0.5, 0.0, 0.0]
    assert abs(x).tolist() == [3.0, 0.5, 0.5, 3.0]


def test_clamp_min_above_max_matches_torch():
    assert_torch_parity(lambda x: x.clamp(min=1, max=-1), lambda x: x.clamp(min=1, max=-1),
                        normal((6,)).astype(np.float32))


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp: at least one of 'min' and 'max' must be given"):
        mc.clamp(mc.ones(3))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "rsqrt", "abs", "clamp"])
def test_non_tensor_input_is_a_type_error(name):
    with pytest.raises(TypeError, match=f"{name}: argument 'input' must be a Tensor, got ndarray"):
        getattr(mc, name)(np.ones(3), min=0) if name == "clamp" else getattr(mc, name)(np.ones(3))
