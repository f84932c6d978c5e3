"""Matrix products: matmul (batched, broadcasting), mm and bmm (its 2-D and batched 3-D
forms, which check their shapes as PyTorch does) and linear."""
import contextlib
import math

import numpy as np

from .. import kernels
from ..autograd import Function
from ..kernels.shapes import LINEAR_FEW_ROWS
from ..tensor import Tensor
from ..threads import one_blas_thread_below
from ._common import as_tensor_pair, broadcast_shape, require_tensor, shape_str, unbroadcast, xp


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        """da = g · bᵀ, db = aᵀ · g (1-D operands as a row / a column; batch dims summed
        back to each operand's shape)."""
        a, b = ctx.saved_arrays
        m = xp(g)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        # column first: for 1-D · 1-D, g is 0-d and becomes (1, 1)
        if b.ndim == 1:
            g = m.expand_dims(g, -1)
        if a.ndim == 1:
            g = m.expand_dims(g, -2)
        da = db = None
        if ctx.needs_input_grad[0]:
            da = g @ m.swapaxes(b2, -1, -2)
            da = unbroadcast(da, a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            db = m.swapaxes(a2, -1, -2) @ g
            db = unbroadcast(db, b2.shape).reshape(b.shape)
        return da, db


def matmul(input, other):
    """Matrix product with NumPy/PyTorch semantics: 1-D operands are vectors, leading
    dimensions broadcast as a batch. As PyTorch, both operands need one dtype."""
    if isinstance(input, Tensor) and isinstance(other, Tensor) and input.dtype != other.dtype:
        raise TypeError(f"matmul: both operands need one dtype, got {input.dtype} and "
                        f"{other.dtype} (shapes {shape_str(input.shape)} and "
                        f"{shape_str(other.shape)})")
    a, b = as_tensor_pair("matmul", input, other)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes "
                         f"{shape_str(a.shape)} and {shape_str(b.shape)}")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {shape_str(a.shape)} and {shape_str(b.shape)} cannot be "
                         f"multiplied ({k_a} != {k_b})")
    if a.ndim > 2 or b.ndim > 2:
        try:
            broadcast_shape("matmul", a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(f"matmul: shapes {shape_str(a.shape)} and {shape_str(b.shape)} cannot "
                             f"be broadcast (batch dimensions {shape_str(a.shape[:-2])} and "
                             f"{shape_str(b.shape[:-2])})") from None
    return MatMul.apply(a, b)


def mm(input, mat2):
    """The product of two matrices (2-D tensors only, no broadcasting)."""
    for arg, t in (("input", input), ("mat2", mat2)):
        require_tensor("mm", arg, t)
        if t.ndim != 2:
            raise ValueError(f"mm: {arg} must be a matrix (2-D), got shape {shape_str(t.shape)}")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) tensors: one batch size, no
    broadcasting."""
    for arg, t in (("input", input), ("mat2", mat2)):
        require_tensor("bmm", arg, t)
        if t.ndim != 3:
            raise ValueError(f"bmm: {arg} must be a batch of matrices (3-D), got shape "
                             f"{shape_str(t.shape)}")
    if input.shape[0] != mat2.shape[0]:
        raise ValueError(f"bmm: input and mat2 must have the same batch size, got shapes "
                         f"{shape_str(input.shape)} and {shape_str(mat2.shape)}")
    return matmul(input, mat2)


# Linear takes the few-row kernel (kernels linear_few_rows) for 2 to LINEAR_FEW_ROWS rows of
# x and a C-contiguous weight of at least this many elements (a classifier's layers at a
# small batch): there BLAS packs the whole weight for a product that reads it once. One row
# goes to BLAS's matrix-vector product, which packs nothing, and a smaller weight stays in
# cache, where the packing costs little (benchmarks/NOTES.md).
FEW_ROWS_MIN_WEIGHT = 1 << 17


def _few_rows_pay(x2, weight):
    """Whether Linear's product of x2 (rows, in) and weight takes linear_few_rows."""
    return (type(x2) is np.ndarray and 2 <= x2.shape[0] <= LINEAR_FEW_ROWS
            and weight.size >= FEW_ROWS_MIN_WEIGHT and x2.dtype in _FEW_ROWS_DTYPES
            and weight.flags.c_contiguous)


_FEW_ROWS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Linear(Function):
    """y = x · Wᵀ + b, every leading dimension of x folded into the rows of one GEMM (a
    broadcast matmul would run one small GEMM per leading index instead). Small GEMMs on
    NumPy arrays run with BLAS on one thread (threads.one_blas_thread_below); 2 to
    LINEAR_FEW_ROWS rows against a large weight run through the few-row kernel."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        need_x, need_w, _ = ctx.needs_input_grad
        ctx.save_for_backward(x if need_w else None, weight if need_x else None)  # as PyTorch
        ctx.x_shape = x.shape
        x2 = _rows(x)
        if _few_rows_pay(x2, weight):
            out = kernels.get("linear_few_rows", x2)(x2, weight)       # (rows, out)
        else:
            with _blas_for(x2, x2.shape[0] * weight.size):
                out = x2 @ weight.T                                    # (rows, out)
        if bias is not None:
            out += bias
        return out.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, g):
        """dx = g · W, dW = gᵀ · x (over all leading dims), db = Σ g."""
        x, weight = ctx.saved_arrays
        g2 = _rows(g)                                                  # (rows, out)
        need_x, need_w, need_b = ctx.needs_input_grad
        with _blas_for(g2, g2.size * ctx.x_shape[-1]):
            dx = (g2 @ weight).reshape(ctx.x_shape) if need_x else None
            dw = g2.T @ _rows(x) if need_w else None
        db = g2.sum(axis=0) if need_b else None
        return dx, dw, db


def _blas_for(a, macs):
    """The BLAS threading of Linear's GEMMs of `macs` multiply-adds on arrays like `a`."""
    return one_blas_thread_below(macs) if type(a) is np.ndarray else contextlib.nullcontext()


def _rows(a):
    """`a` (*, k) as (rows, k), also when k or a leading size is 0 (where -1 is ambiguous)."""
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


def linear(input, weight, bias=None):
    """y = x · Wᵀ + b, with x of shape (*, in_features) and W of shape (out, in)."""
    require_tensor("linear", "input", input)
    require_tensor("linear", "weight", weight)
    if bias is not None:
        require_tensor("linear", "bias", bias)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                         f"{shape_str(weight.shape)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input has {input.shape[-1] if input.ndim else 0} features in "
                         f"its last dimension but weight expects {weight.shape[1]} (input shape "
                         f"{shape_str(input.shape)}, weight shape {shape_str(weight.shape)})")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got "
                         f"{shape_str(bias.shape)}")
    if input.dtype != weight.dtype:
        raise TypeError(f"linear: input dtype {input.dtype} does not match weight dtype "
                        f"{weight.dtype}")
    if bias is not None and bias.dtype != weight.dtype:
        raise TypeError(f"linear: bias dtype {bias.dtype} does not match weight dtype "
                        f"{weight.dtype}")
    return Linear.apply(input, weight, bias)
