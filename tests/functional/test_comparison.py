"""eq, ne, lt, le, gt, ge: bool results outside the graph, equal to NumPy and PyTorch (their
PyTorch parity on tensors of ties: op_table.py)."""
import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import minicnn as mc
from op_inputs import integers

try:
    import torch
except ImportError:  # test_mixed_dtypes compares with torch where it is installed
    torch = None

# (name in mc, torch and NumPy's operator module, the Python operator)
OPS = [("eq", "=="), ("ne", "!="), ("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">=")]
NAMES = [name for name, _ in OPS]


def small_integers(shape, seed):
    """Values from {-2, ..., 2}, so that equal elements are common."""
    return integers(shape, seed, low=-2, high=3)


@pytest.mark.parametrize("name, symbol", OPS, ids=NAMES)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4),
       seed=st.integers(0, 2**16))
def test_matches_numpy_with_broadcasting(name, symbol, shapes, seed):
    (sa, sb), expected_shape = shapes
    a, b = small_integers(sa, seed), small_integers(sb, seed + 1)
    x, y = mc.tensor(a, requires_grad=True), mc.tensor(b, requires_grad=True)
    expected = getattr(operator, name)(a, b)
    for out in [getattr(mc, name)(x, y), getattr(x, name)(y), eval(f"x {symbol} y")]:
        assert out.dtype == np.bool_ and out.shape == expected_shape
        assert not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("name, symbol", OPS, ids=NAMES)
@pytest.mark.parametrize("scalar", [0, 0.5, -1.0])
def test_with_python_scalar_on_either_side(name, symbol, scalar):
    a = small_integers((2, 5), 0) / 2
    x = mc.tensor(a)
    np.testing.assert_array_equal(eval(f"x {symbol} s", {}, {"x": x, "s": scalar}).numpy(),
                                  eval(f"a {symbol} s", {}, {"a": a, "s": scalar}))
    # `s < x` is Python's reflected `x > s`
    np.testing.assert_array_equal(eval(f"s {symbol} x", {}, {"x": x, "s": scalar}).numpy(),
                                  eval(f"s {symbol} a", {}, {"a": a, "s": scalar}))


@pytest.mark.parametrize("name", NAMES)
def test_mixed_dtypes(name):
    a32 = np.array([0.1, 1.0, 2.0], dtype=np.float32)
    a64 = np.array([0.1, 1.0, 3.0], dtype=np.float64)
    ints = np.array([0, 1, 2])
    for a, b in [(a32, a64), (a32, ints), (ints, a64)]:
        x, y = mc.tensor(a), mc.tensor(b)
        out = getattr(mc, name)(x, y)
        assert out.dtype == np.bool_
        if torch is not None:
            expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
            np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_that_cannot_broadcast(name):
    message = rf"{name}: shapes \(2, 3\) and \(4,\) cannot be broadcast"
    with pytest.raises(ValueError, match=message):
        getattr(mc, name)(mc.ones(2, 3), mc.ones(4))


@pytest.mark.parametrize("name", ["lt", "le", "gt", "ge"])
def test_unsupported_operand_is_a_type_error(name):
    with pytest.raises(TypeError, match=f"{name}: unsupported operand of type str"):
        getattr(mc, name)(mc.ones(2), "a")


@pytest.mark.parametrize("call", [
    lambda lib, a, b: a & b, lambda lib, a, b: a | b, lambda lib, a, b: a ^ b,
    lambda lib, a, b: ~a, lambda lib, a, b: (a > 0) & (b < 2),
    lambda lib, a, b: (a > 0) | True, lambda lib, a, b: lib.bitwise_xor(a, 3),
    lambda lib, a, b: lib.logical_and(a, b), lambda lib, a, b: lib.logical_or(a, b),
    lambda lib, a, b: lib.logical_xor(a, b), lambda lib, a, b: lib.logical_not(a),
    lambda lib, a, b: a.logical_not() & b.bool(),
])
def test_bitwise_and_logical_ops_match_pytorch(call):
    torch = pytest.importorskip("torch")
    a, b = np.array([[0, 1, 2], [3, -4, 5]]), np.array([[1, 1, 0], [7, 2, 0]])
    ours, theirs = call(mc, mc.tensor(a), mc.tensor(b)), call(torch, torch.tensor(a),
                                                              torch.tensor(b))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_bitwise_ops_refuse_floats():
    with pytest.raises(TypeError, match="bitwise_and: needs bool or integer tensors, got dtype "
                                        "float32"):
        mc.zeros(2) & mc.ones(2)
    with pytest.raises(TypeError, match="bitwise_not: needs bool or integer tensors"):
        ~mc.zeros(2)
