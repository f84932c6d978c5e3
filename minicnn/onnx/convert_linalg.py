"""Products: matmul, linear, scaled dot-product attention, embedding lookup."""
import numpy as np

from ..functional.attention import ScaledDotProductAttention
from ..functional.embedding import Embedding
from ..functional.linalg import Linear, MatMul
from .registry import converts, refuse


@converts(MatMul)
def _matmul(g, step):
    a, b = step.inputs
    g.node("MatMul", [a.name, b.name], step.outputs[0].name)


@converts(Linear)
def _linear(g, step):
    """Gemm (x · Wᵀ + b) for 2-D x; MatMul with Wᵀ, then + b, for any other rank."""
    x, weight, bias = step.inputs
    out = step.outputs[0].name
    if len(x.shape) == 2:
        g.node("Gemm", [x.name, weight.name, None if bias is None else bias.name], out,
               transB=1)
        return
    product = g.node("MatMul", [x.name, g.node("Transpose", [weight.name], perm=[1, 0])],
                     out if bias is None else None)
    if bias is not None:
        g.node("Add", [product, bias.name], out)


def _swap_last(rank):
    return list(range(rank - 2)) + [rank - 1, rank - 2]


@converts(ScaledDotProductAttention)
def _attention(g, step):
    """P = softmax(scale·Q·Kᵀ + mask) over the keys, O = P·V. A bool mask (or the causal
    one) sets the scores it excludes to −inf; a row with every key excluded gets P = 0, as
    minicnn's (softmax alone would give NaN there)."""
    q, k, v, mask = step.inputs
    p = step.params
    if p["drop"] is not None:
        raise refuse(step, "attention dropout in training mode draws a random mask")
    c = lambda value: g.const(value, q.dtype)   # noqa: E731
    scores = g.node("MatMul", [g.node("Mul", [q.name, c(p["scale"])]),
                               g.node("Transpose", [k.name], perm=_swap_last(len(k.shape)))])
    allowed = None
    if mask is not None and mask.dtype == np.bool_:
        allowed = mask.name
    elif mask is not None:
        scores = g.node("Add", [scores, mask.name])
    if p["causal"]:
        lower = g.const(np.tri(q.shape[-2], k.shape[-2], dtype=bool), np.bool_)
        allowed = lower if allowed is None else g.node("And", [allowed, lower])
    if allowed is not None:
        scores = g.node("Where", [allowed, scores, c(-np.inf)])
    weights = g.node("Softmax", [scores], axis=-1)
    if allowed is not None or mask is not None:
        weights = g.node("Where", [g.node("IsNaN", [weights]), c(0), weights])
    g.node("MatMul", [weights, v.name], step.outputs[0].name)
    if p["return_weights"]:
        g.node("Identity", [weights], step.outputs[1].name)


@converts(Embedding)
def _embedding(g, step):
    (weight,) = step.inputs
    indices = step.array(step.params["indices"])
    g.node("Gather", [weight.name, g.cast(indices.name, indices.dtype, np.int64)],
           step.outputs[0].name, axis=0)
