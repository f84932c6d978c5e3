"""matmul and linear: NumPy operands and bad input (gradcheck and PyTorch parity of vectors,
matrices, broadcast batches and linear layers: op_table.py)."""
import re

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from conftest import random_array
from minicnn.functional import linalg


def test_matmul_with_ndarray_operand():
    a, b = random_array((2, 3), 0), random_array((3, 4), 1)
    np.testing.assert_allclose((a @ mc.tensor(b)).numpy(), a @ b, rtol=1e-12)
    np.testing.assert_allclose((mc.tensor(a) @ b).numpy(), a @ b, rtol=1e-12)


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


@pytest.mark.parametrize("op, shapes, message", [
    ("mm", ((2, 3, 4), (4, 2)), "mm: input must be a matrix (2-D), got shape (2, 3, 4)"),
    ("mm", ((2, 3), (3,)), "mm: mat2 must be a matrix (2-D), got shape (3,)"),
    ("bmm", ((2, 3), (3, 4)), "bmm: input must be a batch of matrices (3-D), got shape (2, 3)"),
    ("bmm", ((2, 3, 4), (3, 4, 5)),
     "bmm: input and mat2 must have the same batch size, got shapes (2, 3, 4) and (3, 4, 5)"),
])
def test_mm_and_bmm_refuse_what_pytorch_refuses(op, shapes, message):
    a, b = (mc.zeros(*s) for s in shapes)
    with pytest.raises(ValueError, match=re.escape(message)):
        getattr(mc, op)(a, b)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        getattr(torch, op)(torch.zeros(*shapes[0]), torch.zeros(*shapes[1]))


def _kernels_asked(monkeypatch):
    """The kernel names linalg asks minicnn.kernels for, recorded as it asks."""
    asked, get = [], linalg.kernels.get

    def recording(name, like):
        asked.append(name)
        return get(name, like)

    monkeypatch.setattr(linalg.kernels, "get", recording)
    return asked


# leading shape of x, in features, out features, whether linear_few_rows computes the product
FEW_ROW_CASES = [
    ((2,), 512, 256, True),                      # the fewest rows, the smallest weight it takes
    ((2, 4), 700, 200, True),                    # leading dims folded: 8 rows
    ((1,), 512, 300, False),                     # one row: BLAS's matrix-vector product
    ((9,), 512, 300, False),                     # more rows than one pass serves
    ((3, 3), 512, 300, False),                   # ... folded from two dims
    ((4,), 511, 256, False),                     # a weight under FEW_ROWS_MIN_WEIGHT
]


@pytest.mark.parametrize("leading, k, n, few_rows", FEW_ROW_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_takes_the_few_row_kernel_where_it_pays_and_matches_torch(
        leading, k, n, few_rows, dtype, monkeypatch):
    torch = pytest.importorskip("torch")
    assert (k * n >= linalg.FEW_ROWS_MIN_WEIGHT) is ((k, n) != (511, 256))
    asked = _kernels_asked(monkeypatch)
    arrays = [random_array(s, i, dtype) for i, s in enumerate([(*leading, k), (n, k), (n,)])]
    x, w, b = (mc.tensor(a, requires_grad=True) for a in arrays)
    y = F.linear(x, w, b)
    assert asked == (["linear_few_rows"] if few_rows else [])
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in arrays)
    expected = torch.nn.functional.linear(tx, tw, tb)
    g = random_array(y.shape, 5, dtype)
    y.backward(mc.tensor(g))
    expected.backward(torch.tensor(g))
    tolerance = dict(rtol=1e-5, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for got, want in [(y.detach(), expected), (x.grad, tx.grad), (w.grad, tw.grad),
                      (b.grad, tb.grad)]:
        np.testing.assert_allclose(got.numpy(), want.detach().numpy(), **tolerance)


def test_linear_few_rows_takes_a_transposed_weight_to_blas(monkeypatch):
    asked = _kernels_asked(monkeypatch)
    w = mc.tensor(random_array((512, 300), 1)).t()                 # (300, 512), not C-ordered
    x = mc.tensor(random_array((4, 512), 0))
    np.testing.assert_allclose(F.linear(x, w).numpy(), x.numpy() @ w.numpy().T, rtol=1e-12)
    assert asked == []
