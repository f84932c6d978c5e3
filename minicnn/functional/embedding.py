"""embedding: rows of a weight matrix looked up by integer indices, differentiable in the
weight by scatter-add."""
import numpy as np

from .. import backend, grad_mode
from ..autograd import Function
from ..backend import on_input_device
from . import _validate as validate
from ._common import (check_same_device, index_range, require_floating, require_tensor,
                      shape_str, xp)


class Embedding(Function):
    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.indices = indices
        ctx.num_embeddings = weight.shape[0]
        ctx.padding_idx = padding_idx
        ctx.scale_grad_by_freq = scale_grad_by_freq
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        """dW[i] = Σ over positions p with index[p] = i of g[p] (÷ count of i when
        scale_grad_by_freq); dW[padding_idx] = 0."""
        m = xp(g)
        idx = ctx.indices.reshape(-1)
        g2 = g.reshape(idx.shape[0], g.shape[-1])
        n = ctx.num_embeddings
        if ctx.scale_grad_by_freq:
            counts = m.bincount(idx, minlength=n)
            g2 = g2 / counts[idx].astype(g.dtype)[:, None]
        dw = m.zeros((n, g2.shape[1]), dtype=g.dtype)
        backend.scatter_add(dw, idx, g2)
        if ctx.padding_idx is not None:
            dw[ctx.padding_idx] = 0
        return dw


def _renorm_(weight, indices, max_norm, norm_type):
    """Rescale, in place, the rows of `weight` used by `indices` whose norm exceeds max_norm
    (PyTorch's embedding_renorm_)."""
    data = weight._data
    m = xp(data)
    rows = m.unique(indices.reshape(-1))
    selected = data[rows]
    if norm_type == float("inf"):
        norms = m.abs(selected).max(axis=1)
    else:
        norms = (m.abs(selected) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = m.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(data.dtype)
    data[rows] = selected * scale[:, None]


@on_input_device
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """weight[input]: input holds integer indices of any shape, weight is
    (num_embeddings, embedding_dim); the output has shape input.shape + (embedding_dim,).

    padding_idx: that row receives no gradient. max_norm: rows used whose norm_type-norm
    exceeds max_norm are rescaled to max_norm in place first. scale_grad_by_freq: each row's
    gradient is divided by how often its index occurs in `input`. sparse=True (sparse
    gradients) is not supported.
    """
    op = "embedding"
    require_tensor(op, "input", input)
    require_tensor(op, "weight", weight)
    require_floating(op, "weight", weight)
    if input.dtype.kind not in "iu":
        raise TypeError(f"{op}: input must hold integer indices (int64 or int32), got dtype "
                        f"{input.dtype} (shape {shape_str(input.shape)})")
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (num_embeddings, embedding_dim), got shape "
                         f"{shape_str(weight.shape)}")
    if sparse:
        raise NotImplementedError(f"{op}: sparse gradients are not supported in minicnn; use "
                                  f"sparse=False")
    check_same_device(op, input, weight)
    n = weight.shape[0]
    padding_idx = validate.optional_integer(op, "padding_idx", padding_idx)
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"{op}: padding_idx={padding_idx} must be within num_embeddings "
                             f"({n})")
        padding_idx %= n
    indices = input._data
    lo, hi = index_range(indices)
    if lo < 0 or hi >= n:
        raise IndexError(f"{op}: index {lo if lo < 0 else hi} is out of range for weight "
                         f"with {n} rows (shape {shape_str(weight.shape)})")
    indices = indices.astype(np.int64, copy=False)
    norm_type = validate.real(op, "norm_type", norm_type)
    if max_norm is not None:
        max_norm = validate.real(op, "max_norm", max_norm)
        with grad_mode.no_grad():
            _renorm_(weight, indices, max_norm, norm_type)
    return Embedding.apply(weight, indices=indices, padding_idx=padding_idx,
                           scale_grad_by_freq=bool(scale_grad_by_freq))
