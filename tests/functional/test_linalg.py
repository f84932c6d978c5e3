"""matmul (vectors, matrices, broadcast batches) and linear: gradients, parity, bad input."""
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import minicnn as mc
import minicnn.functional as F
from conftest import assert_torch_parity, check_gradients, random_array

try:
    import torch
except ImportError:  # parity tests skip themselves (assert_torch_parity imports torch)
    torch = None

MATMUL_SHAPES = [
    ((3,), (3,)),                # dot product, 0-d result
    ((3,), (3, 4)),              # vector · matrix
    ((2, 3), (3,)),              # matrix · vector
    ((2, 3), (3, 4)),
    ((2, 1, 3, 4), (5, 4, 2)),   # batch dims broadcast to (2, 5)
    ((4,), (2, 4, 3)),           # vector against a batch
    ((2, 3, 4), (4,)),
    ((1, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (1, 4, 5)),
    ((2, 1, 3, 4), (1, 5, 4, 2)),  # size-1 batch dims on both sides
]
IDS = [f"{a}@{b}" for a, b in MATMUL_SHAPES]


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES, ids=IDS)
def test_matmul_gradcheck(sa, sb):
    check_gradients(mc.matmul, random_array(sa, 0), random_array(sb, 1))


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES, ids=IDS)
def test_matmul_torch_parity(sa, sb):
    a, b = random_array(sa, 0, np.float32), random_array(sb, 1, np.float32)
    assert_torch_parity(mc.matmul, lambda x, y: torch.matmul(x, y), a, b)
    assert_torch_parity(lambda x, y: x @ y, lambda x, y: x @ y, a, b)
    assert_torch_parity(lambda x, y: x.matmul(y), lambda x, y: x.matmul(y), a, b)


@given(batch=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       m=st.integers(1, 3), k=st.integers(1, 3), n=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_matmul_broadcast_batches(batch, m, k, n, seed):
    (ba, bb), expected = batch
    a, b = random_array(ba + (m, k), seed), random_array(bb + (k, n), seed + 1)
    out = mc.matmul(mc.tensor(a), mc.tensor(b))
    assert out.shape == expected + (m, n)
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-12)
    check_gradients(mc.matmul, a, b)
    assert_torch_parity(mc.matmul, torch.matmul if torch else None,
                        a.astype(np.float32), b.astype(np.float32))


def test_matmul_with_ndarray_operand():
    a, b = random_array((2, 3), 0), random_array((3, 4), 1)
    np.testing.assert_allclose((a @ mc.tensor(b)).numpy(), a @ b, rtol=1e-12)
    np.testing.assert_allclose((mc.tensor(a) @ b).numpy(), a @ b, rtol=1e-12)


@pytest.mark.parametrize("x_shape", [(3,), (2, 3), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(x_shape, bias):
    arrays = [random_array(x_shape, 0), random_array((5, 3), 1)] + ([random_array((5,), 2)]
                                                                    if bias else [])
    check_gradients(F.linear, *arrays)
    assert_torch_parity(F.linear, lambda *t: torch.nn.functional.linear(*t),
                        *[a.astype(np.float32) for a in arrays])


def test_linear_with_frozen_weight():
    x, w, b = random_array((2, 3), 0), random_array((4, 3), 1), random_array((4,), 2)
    check_gradients(F.linear, x, w, b, requires_grad=[True, False, True])
    assert_torch_parity(F.linear, lambda *t: torch.nn.functional.linear(*t),
                        x.astype(np.float32), w.astype(np.float32), b.astype(np.float32),
                        requires_grad=[False, True, False])


# ---- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("sa, sb, k_a, k_b", [((2, 3), (4, 5), 3, 4), ((3,), (4,), 3, 4),
                                              ((2, 3), (4,), 3, 4), ((2, 5, 3), (2, 4, 1), 3, 4)])
def test_matmul_inner_dimension_mismatch(sa, sb, k_a, k_b):
    message = f"matmul: shapes {sa} and {sb} cannot be multiplied ({k_a} != {k_b})"
    with pytest.raises(ValueError, match=re.escape(message)):
        mc.matmul(mc.ones(*sa), mc.ones(*sb))


def test_matmul_batch_dims_that_cannot_broadcast():
    message = r"matmul: shapes \(2, 3, 4\) and \(5, 4, 2\) cannot be broadcast"
    with pytest.raises(ValueError, match=message):
        mc.ones(2, 3, 4) @ mc.ones(5, 4, 2)


@pytest.mark.parametrize("sa, sb", [((), (3,)), ((3,), ())])
def test_matmul_of_zero_dim(sa, sb):
    with pytest.raises(ValueError, match=r"matmul: both operands need at least one dimension"):
        mc.matmul(mc.ones(*sa), mc.ones(*sb))


def test_matmul_with_unsupported_operand():
    with pytest.raises(TypeError, match="matmul: unsupported operand of type str"):
        mc.ones(2, 2) @ "a"


@pytest.mark.parametrize("x, w, b, error, message", [
    ((2, 4), (5, 3), None, ValueError,
     r"linear: input has 4 features .* weight expects 3 "
     r"\(input shape \(2, 4\), weight shape \(5, 3\)\)"),
    ((), (5, 3), None, ValueError, r"linear: input has 0 features"),
    ((2, 3), (3,), None, ValueError, r"linear: weight must be 2-D .* got shape \(3,\)"),
    ((2, 3), (5, 3), (3,), ValueError, r"linear: bias must have shape \(5,\), got \(3,\)"),
    ((2, 3), (5, 3), (1, 5), ValueError, r"linear: bias must have shape \(5,\), got \(1, 5\)"),
])
def test_linear_bad_shapes(x, w, b, error, message):
    with pytest.raises(error, match=message):
        F.linear(mc.ones(*x), mc.ones(*w), None if b is None else mc.ones(*b))


def test_linear_needs_tensors():
    with pytest.raises(TypeError, match="linear: argument 'input' must be a Tensor, got ndarray"):
        F.linear(np.ones((2, 3)), mc.ones(4, 3))
    with pytest.raises(TypeError, match="linear: argument 'bias' must be a Tensor, got list"):
        F.linear(mc.ones(2, 3), mc.ones(4, 3), [0.0] * 4)


@pytest.mark.parametrize("dtypes, message", [
    (("float32", "float64", None),
     "linear: input dtype float32 does not match weight dtype float64"),
    (("float64", "float32", "float32"), "linear: input dtype float64 does not match weight dtype"),
    (("float32", "float32", "float64"), "linear: bias dtype float64 does not match weight dtype "
                                        "float32"),
])
def test_linear_dtype_mismatch(dtypes, message):
    x, w, b = [None if d is None else mc.ones(s, dtype=d)
               for s, d in zip([(2, 3), (4, 3), (4,)], dtypes)]
    with pytest.raises(TypeError, match=message):
        F.linear(x, w, b)
