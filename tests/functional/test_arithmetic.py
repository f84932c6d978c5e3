"""add, sub, mul, div, pow, maximum, minimum, where, neg, astype, clone: ties, tensor methods,
astype, the dtype rules of mixed operands and bad input (gradcheck and PyTorch parity of the
ops and their operators: op_table.py)."""
import numpy as np
import pytest

import minicnn as mc
from conftest import assert_torch_parity
from op_inputs import nonzero, normal, positive

try:
    import torch
except ImportError:  # parity tests skip themselves (assert_torch_parity imports torch)
    torch = None

BINARY_NAMES = ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]


@pytest.mark.parametrize("name, expected_grad_a", [("maximum", [0.5, 1.0, 0.5, 0.0]),
                                                   ("minimum", [0.5, 0.0, 0.5, 1.0])])
def test_maximum_minimum_ties_split_the_gradient(name, expected_grad_a):
    a = np.array([1.0, 2.0, -1.0, 0.0], dtype=np.float32)
    b = np.array([1.0, 0.0, -1.0, 3.0], dtype=np.float32)
    assert_torch_parity(getattr(mc, name), lambda x, y: getattr(torch, name)(x, y), a, b)
    x, y = mc.tensor(a, requires_grad=True), mc.tensor(b, requires_grad=True)
    getattr(mc, name)(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected_grad_a)
    np.testing.assert_array_equal(y.grad.numpy(), 1 - np.array(expected_grad_a))


def test_tensor_methods_match_functions():
    a, b = mc.tensor(positive((2, 3), 0)), mc.tensor(nonzero((3,), 1))
    for name in BINARY_NAMES:
        np.testing.assert_array_equal(getattr(a, name)(b).numpy(), getattr(mc, name)(a, b).numpy(),
                                      err_msg=name)
    np.testing.assert_array_equal(a.neg().numpy(), -a.numpy())


def test_clone_owns_its_data():
    x = mc.tensor([1.0, 2.0])
    y = x.clone()
    y._data[0] = 5.0
    assert x.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("src, dst", [(np.float32, np.float64), (np.float64, np.float32)])
def test_astype_between_floats(src, dst):
    x = normal((2, 3), 0).astype(src)
    assert_torch_parity(lambda t: t.astype(dst) * 3,
                        lambda t: t.to(getattr(torch, np.dtype(dst).name)) * 3, x)
    t = mc.tensor(x, requires_grad=True)
    y = mc.functional.astype(t, dst)
    assert y.dtype == dst
    (y * 3).sum().backward()
    assert t.grad.dtype == src
    np.testing.assert_array_equal(t.grad.numpy(), np.full((2, 3), 3, src))


def test_astype_to_integer_truncates_and_stops_the_graph():
    x = mc.tensor([1.7, -2.2, 0.4], requires_grad=True)
    y = x.astype(mc.int64)
    assert y.dtype == np.int64 and not y.requires_grad
    assert y.tolist() == [1, -2, 0]
    assert x.astype(x.dtype) is x


# ---- dtype rules ----------------------------------------------------------------------------
def test_float32_and_float64_promote_with_gradients_in_each_dtype():
    a, b = normal((2, 3), 0).astype(np.float32), normal((3,), 1)
    x, y = mc.tensor(a, requires_grad=True), mc.tensor(b, requires_grad=True)
    z = x * y
    assert z.dtype == np.float64
    z.sum().backward()
    assert x.grad.dtype == np.float32 and y.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(b, (2, 3)), rtol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), a.astype(np.float64).sum(0), rtol=1e-6)
    assert_torch_parity(lambda p, q: p * q + q, lambda p, q: p * q + q, a, b)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
@pytest.mark.parametrize("scalar", [2, 2.5, True], ids=["int", "float", "bool"])
@pytest.mark.parametrize("expression", ["x + s", "s + x", "x - s", "x * s", "x / s", "s / x"])
def test_result_dtype_with_python_scalars_matches_torch(dtype, scalar, expression):
    if "-" in expression and (dtype == "bool" or scalar is True):
        pytest.skip("torch refuses subtraction with bools")
    pytest.importorskip("torch")
    values = np.array([1, 2, 3]).astype(dtype)
    ours = eval(expression, {}, {"x": mc.tensor(values), "s": scalar})
    theirs = eval(expression, {}, {"x": torch.tensor(values), "s": scalar})
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("exponent", [0.5, np.float64(0.5), 2])
def test_pow_keeps_float32(exponent):
    x = mc.tensor([1.0, 4.0], requires_grad=True)
    y = x ** exponent
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


# ---- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", BINARY_NAMES)
def test_shapes_that_cannot_broadcast(name):
    x, y = mc.ones(2, 3), mc.ones(4)
    message = rf"{name}: shapes \(2, 3\) and \(4,\) cannot be broadcast"
    with pytest.raises(ValueError, match=message):
        getattr(mc, name)(x, y)


@pytest.mark.parametrize("expression, op", [("x + y", "add"), ("x - y", "sub"), ("x * y", "mul"),
                                            ("x / y", "div"), ("x ** y", "pow")])
def test_operator_shapes_that_cannot_broadcast(expression, op):
    with pytest.raises(ValueError, match=rf"{op}: shapes \(2, 3\) and \(2,\) cannot be broadcast"):
        eval(expression, {}, {"x": mc.ones(2, 3), "y": mc.ones(2)})


@pytest.mark.parametrize("expression", ["x + 'a'", "'a' + x", "x * 'a'", "x - None", "x / []",
                                        "x ** 'a'", "'a' ** x", "mc.maximum(x, 'a')",
                                        "mc.where(x > 0, x, 'a')"])
def test_unsupported_operand_is_a_type_error(expression):
    with pytest.raises(TypeError, match="unsupported operand|expected at least one Tensor"):
        eval(expression, {"mc": mc}, {"x": mc.ones(2, 3)})


def test_op_without_any_tensor_is_a_type_error():
    message = "add: expected at least one Tensor operand, got int and int"
    with pytest.raises(TypeError, match=message):
        mc.add(1, 2)


@pytest.mark.parametrize("name", ["neg", "clone"])
def test_unary_arithmetic_needs_a_tensor(name):
    with pytest.raises(TypeError, match=f"{name}: argument 'input' must be a Tensor, got list"):
        getattr(mc, name)([1.0])


def test_where_needs_a_bool_condition():
    x = mc.ones(2, 3)
    message = "where: condition must be a bool tensor, got dtype float32"
    with pytest.raises(TypeError, match=message):
        mc.where(x, x, x)


def test_where_shapes_that_cannot_broadcast():
    cond = mc.tensor(np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"where: shapes \(2, 3\) and \(2, 3\) and \(4,\) cannot"):
        mc.where(cond, mc.ones(2, 3), mc.ones(4))
