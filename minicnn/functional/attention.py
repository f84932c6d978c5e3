"""Attention: scaled dot-product attention (one Function) and multi-head attention (composed).

`scaled_dot_product_attention` follows torch.nn.functional.scaled_dot_product_attention and
`multi_head_attention_forward` follows torch.nn.functional.multi_head_attention_forward with
the packed (3·E, E) in-projection of torch.nn.MultiheadAttention, plus `batch_first`.
"""
import math

import numpy as np

from .. import backend, kernels
from ..threads import even_slices, parallel_for
from ..autograd import Function
from ..tensor import Tensor
from . import _validate as validate
from ._common import broadcast_shape, require_floating, require_tensor, shape_str, unbroadcast
from ._float16 import computed_in_float32
from .arithmetic import add, astype
from .dropout import dropout_mask
from .linalg import linear
from .reduction import mean
from .shape import cat, expand, pad, permute, reshape, split, squeeze, transpose, unsqueeze

_SDPA = "scaled_dot_product_attention"
_MHA = "multi_head_attention_forward"


class ScaledDotProductAttention(Function):
    """O = P·V with P = softmax(scale·Q·Kᵀ + mask) over the keys (dropout applied to P).

    Inputs: query (..., L, E), key (..., S, E), value (..., S, Ev) and an optional mask
    broadcastable to the weights' shape (..., L, S): bool (True = take part) or floating
    (added to the scores, differentiable). Batch dimensions broadcast. With
    `return_weights` the op also returns the (dropped-out) weights P, as a second
    differentiable output. A row whose keys are all masked out gets P = 0, hence O = 0
    (as torch's scaled_dot_product_attention; a plain softmax would give NaN).
    """

    @staticmethod
    def forward(ctx, q, k, v, mask, scale, causal, drop, return_weights):
        m = backend.xp_of(q)
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        p = m.empty(batch + (q.shape[-2], k.shape[-2]), dtype=q.dtype)      # (..., L, S)
        out = m.empty(batch + (q.shape[-2], v.shape[-1]), dtype=q.dtype)    # (..., L, Ev)

        def attend(part):
            rows = _rows(part, len(batch) + 2, p.shape[0] if batch else 1)
            weights = _softmax_weights(rows(q), rows(k), rows(mask), scale, causal, rows(p))
            if drop is not None:
                weights = weights * rows(drop)
            m.matmul(weights, rows(v), out=rows(out))

        _by_parts(m, attend, batch)
        ctx.save_for_backward(q, k, v, p, drop)
        ctx.scale = scale
        ctx.mask_shape = None if mask is None else mask.shape
        if return_weights:
            return out, p * drop if drop is not None else p
        return out

    @staticmethod
    def backward(ctx, g, g_weights=None):
        """dV = Pᵀ·dO; dP = (dO·Vᵀ + dW)∘D (D: dropout mask); dS = P∘(dP − Σₛ dP∘P);
        dMask = dS; dQ = scale·dS·K; dK = scale·dSᵀ·Q (batch dims summed back)."""
        q, k, v, p, drop = ctx.saved_arrays
        m = backend.xp_of(g)
        need_q, need_k, need_v, need_mask = ctx.needs_input_grad
        batch = p.shape[:-2]
        full = {name: m.empty(batch + a.shape[-2:], dtype=a.dtype)
                for name, a, needed in (("q", q, need_q), ("k", k, need_k), ("v", v, need_v),
                                        ("mask", p, need_mask)) if needed}

        def grads(part):
            rows = _rows(part, len(batch) + 2, p.shape[0] if batch else 1)
            weights = rows(p) * rows(drop) if drop is not None else rows(p)
            if need_v:
                m.matmul(m.swapaxes(weights, -1, -2), rows(g), out=rows(full["v"]))
            if not (need_q or need_k or need_mask):
                return
            dp = rows(g) @ m.swapaxes(rows(v), -1, -2)
            if g_weights is not None:
                dp += rows(g_weights)
            if drop is not None:
                dp *= rows(drop)
            ds = _softmax_backward(rows(p), dp)
            if need_mask:
                rows(full["mask"])[...] = ds
            ds *= ctx.scale
            if need_q:
                m.matmul(ds, rows(k), out=rows(full["q"]))
            if need_k:
                m.matmul(m.swapaxes(ds, -1, -2), rows(q), out=rows(full["k"]))

        _by_parts(m, grads, batch)
        shapes = {"q": q.shape, "k": k.shape, "v": v.shape, "mask": ctx.mask_shape}
        grads_out = {name: unbroadcast(a, shapes[name]) for name, a in full.items()}
        return tuple(grads_out.get(name) for name in ("q", "k", "v", "mask"))


def _softmax_weights(q, k, mask, scale, causal, out):
    """P = softmax(scale·Q·Kᵀ + mask) over the keys, written into `out` (..., L, S)."""
    m = backend.xp_of(q)
    scores = m.matmul(q * scale, m.swapaxes(k, -1, -2), out=out)
    allowed = None
    if mask is not None:
        if mask.dtype == np.bool_:
            allowed = mask
        else:
            scores += mask
    if causal:
        tri = m.tri(q.shape[-2], k.shape[-2], dtype=np.bool_)  # top-left aligned, as torch
        allowed = tri if allowed is None else allowed & tri
    if allowed is not None:
        m.copyto(scores, scores.dtype.type(-np.inf), where=~allowed)
    if scores.size:                                 # fully masked rows become 0, not 0/0
        kernels.get("masked_softmax_rows", scores)(scores.reshape(-1, scores.shape[-1]))
    return scores


def _softmax_backward(p, dp):
    """dS = P∘(dP − Σₛ dP∘P) over the last axis."""
    S = p.shape[-1]
    if not p.size:
        return dp * p
    ds = kernels.get("softmax_backward_rows", p)(p.reshape(-1, S), dp.reshape(-1, S))
    return ds.reshape(p.shape)


def _rows(part, ndim, batch):
    """The part of an array that a slice `part` of the first batch dimension takes: arrays
    broadcast along that dimension (fewer dims, or size 1 there) are taken whole."""
    def take(a):
        if a is None or a.ndim < ndim or a.shape[0] != batch:
            return a
        return a[part]
    return take


def _by_parts(m, fn, batch):
    """fn over slices of the first batch dimension, split across threads for NumPy arrays
    (attention's many small matrices each fit one BLAS call on one thread); four slices per
    thread, so that when another process holds up one core, the others take its share."""
    if m is np and batch:
        parallel_for(fn, even_slices(batch[0], per_thread=4))
    else:
        fn(slice(None))


def _attention_dropout(op, query, p, shape):
    """The dropout mask D for attention weights of `shape` (None when p = 0)."""
    p = validate.probability(op, "dropout_p", p)
    if p == 0:
        return None
    if p == 1:
        return backend.xp_of(query._data).zeros(shape, dtype=query.dtype)
    return dropout_mask(query, p, shape)


@computed_in_float32("query", "key", "value")
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
    """softmax(Q·Kᵀ·scale + mask)·V, as torch.nn.functional.scaled_dot_product_attention.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the batch
    dimensions (...) broadcast. `scale` defaults to 1/√E. `attn_mask` is a bool tensor
    (True = the position takes part) or a floating one (added to the scores; it receives
    a gradient), broadcastable to the weights' shape (..., L, S). `is_causal` masks
    key j > query i (top-left aligned when L != S) and excludes `attn_mask`. With
    dropout_p > 0 the weights are dropped (always: there is no training flag, as in
    PyTorch) with minicnn's seeded generator and rescaled by 1/(1 − p).
    A query row whose keys are all masked out gives zeros (and zero gradients), as PyTorch.
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        require_tensor(_SDPA, name, t)
        require_floating(_SDPA, name, t)
        if t.ndim < 2:
            raise ValueError(f"{_SDPA}: {name} must have at least 2 dimensions (..., length, "
                             f"features), got shape {shape_str(t.shape)}")
    if not query.dtype == key.dtype == value.dtype:
        raise TypeError(f"{_SDPA}: query, key and value must have one dtype, got "
                        f"{query.dtype}, {key.dtype} and {value.dtype}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"{_SDPA}: query has {query.shape[-1]} features but key has "
                         f"{key.shape[-1]} (query shape {shape_str(query.shape)}, key shape "
                         f"{shape_str(key.shape)})")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{_SDPA}: key has {key.shape[-2]} positions but value has "
                         f"{value.shape[-2]} (key shape {shape_str(key.shape)}, value shape "
                         f"{shape_str(value.shape)})")
    batch = broadcast_shape(_SDPA, query.shape[:-2], key.shape[:-2])
    broadcast_shape(_SDPA, batch, value.shape[:-2])
    weights_shape = tuple(batch) + (query.shape[-2], key.shape[-2])
    if attn_mask is not None:
        if is_causal:
            raise ValueError(f"{_SDPA}: attn_mask (shape {shape_str(attn_mask.shape)}) must not "
                             f"be given together with is_causal=True")
        attn_mask = _check_mask(_SDPA, "attn_mask", attn_mask, query.dtype)
        try:
            fits = np.broadcast_shapes(attn_mask.shape, weights_shape) == weights_shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{_SDPA}: attn_mask of shape {shape_str(attn_mask.shape)} cannot "
                             f"be broadcast to the attention weights' shape "
                             f"{shape_str(weights_shape)} (query shape {shape_str(query.shape)}, "
                             f"key shape {shape_str(key.shape)})")
    if scale is None:
        scale = 1 / math.sqrt(query.shape[-1]) if query.shape[-1] else 1.0
    drop = _attention_dropout(_SDPA, query, dropout_p, weights_shape)
    return ScaledDotProductAttention.apply(query, key, value, attn_mask, scale=float(scale),
                                           causal=bool(is_causal), drop=drop,
                                           return_weights=False)


def _check_mask(op, name, mask, dtype):
    """A bool mask as is; a floating one cast (differentiably) to `dtype`."""
    require_tensor(op, name, mask)
    if mask.dtype == np.bool_:
        return mask
    if mask.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a bool or floating tensor, got dtype "
                        f"{mask.dtype} (shape {shape_str(mask.shape)})")
    return astype(mask, dtype)


def _additive_mask(op, name, mask, dtype):
    """PyTorch's MHA convention: a bool mask (True = masked out) becomes 0 / −inf; a float
    mask is added to the scores as it is."""
    mask = _check_mask(op, name, mask, dtype)
    if mask.dtype != np.bool_:
        return mask
    m = backend.xp_of(mask._data)
    return Tensor._make(m.where(mask._data, dtype.type(-np.inf), dtype.type(0)))


def _check_shape(op, name, t, shape):
    if tuple(t.shape) != tuple(shape):
        raise ValueError(f"{op}: {name} must have shape {shape_str(shape)}, got "
                         f"{shape_str(t.shape)}")


@computed_in_float32("query", "key", "value", "in_proj_weight", "in_proj_bias", "bias_k",
                     "bias_v", "out_proj_weight", "out_proj_bias", "q_proj_weight",
                     "k_proj_weight", "v_proj_weight", "static_k", "static_v")
def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 average_attn_weights=True, is_causal=False, batch_first=False,
                                 *, use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None):
    """Multi-head attention, as torch.nn.functional.multi_head_attention_forward (and
    torch.nn.MultiheadAttention's forward with `batch_first`). Returns
    (attn_output, attn_weights or None).

    Shapes (batch_first=False; batch_first=True swaps the first two of 3-D inputs and
    the output; 2-D inputs are one unbatched sequence): query (L, N, E), key (S, N, E),
    value (S, N, E) -> attn_output (L, N, E). Weights: in_proj_weight (3·E, E) holding
    the q, k, v projections in that order, in_proj_bias (3·E,), out_proj_weight (E_out, E),
    out_proj_bias (E,); bias_k, bias_v (1, 1, E), (1, E) or (E,) appended to the keys and
    values; add_zero_attn appends a zero key and value. With use_separate_proj_weight,
    q_proj_weight (E, E), k_proj_weight (E, kdim) and v_proj_weight (E, vdim) replace
    in_proj_weight (nn.MultiheadAttention with kdim/vdim); static_k, static_v
    (N·num_heads, S, E/num_heads) replace the projected keys and values.

    Masks follow PyTorch's MHA convention (the opposite of scaled_dot_product_attention's
    bool masks): key_padding_mask (N, S) or (S,) and attn_mask (L, S) or
    (N·num_heads, L, S) are bool (True = masked out) or float (added to the scores).
    is_causal with attn_mask=None builds the causal mask (PyTorch raises there); with
    an attn_mask it is a hint, and attn_mask is used. Dropout (dropout_p) applies to the
    attention weights only when `training`. attn_weights, when need_weights, are
    (N, L, S) averaged over heads, or (N, num_heads, L, S) with
    average_attn_weights=False.

    Difference from PyTorch: a query whose keys are all masked out gives zero weights
    and a zero attention (before out_proj_bias) on both paths; PyTorch gives NaN with
    need_weights=True and zeros with need_weights=False.
    """
    op = _MHA
    # ---- check everything before any work
    for name, t in (("query", query), ("key", key), ("value", value)):
        require_tensor(op, name, t)
        require_floating(op, name, t)
    batched = query.ndim == 3
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ValueError(f"{op}: query, key and value must all be 3-D (batched) or all 2-D "
                         f"(unbatched), got shapes {shape_str(query.shape)}, "
                         f"{shape_str(key.shape)} and {shape_str(value.shape)}")
    num_heads = validate.integer(op, "num_heads", num_heads, 1)
    validate.probability(op, "dropout_p", dropout_p)
    seq_first = batched and not batch_first
    q_shape, k_shape, v_shape = (_seq_first_shape(t.shape, batched, batch_first)
                                 for t in (query, key, value))
    tgt_len, bsz, embed_dim = q_shape
    src_len = k_shape[0]
    layout = "" if seq_first else " (as sequence-first (len, N, E))"
    if embed_dim != embed_dim_to_check:
        raise ValueError(f"{op}: query has embedding dimension {embed_dim} but "
                         f"embed_dim_to_check is {embed_dim_to_check} (query shape "
                         f"{shape_str(query.shape)})")
    if embed_dim % num_heads:
        raise ValueError(f"{op}: embed_dim {embed_dim} is not divisible by num_heads "
                         f"{num_heads}")
    head_dim = embed_dim // num_heads
    if k_shape[1] != bsz or v_shape[1] != bsz:
        raise ValueError(f"{op}: query, key and value must have one batch size, got shapes "
                         f"{shape_str(q_shape)}, {shape_str(k_shape)} and "
                         f"{shape_str(v_shape)}{layout}")
    if k_shape[0] != v_shape[0]:
        raise ValueError(f"{op}: key has {k_shape[0]} positions but value has {v_shape[0]} "
                         f"(key shape {shape_str(key.shape)}, value shape "
                         f"{shape_str(value.shape)})")
    _check_projection(op, embed_dim, k_shape, v_shape, in_proj_weight, in_proj_bias,
                      use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight)
    if out_proj_weight.ndim != 2 or out_proj_weight.shape[1] != embed_dim:
        raise ValueError(f"{op}: out_proj_weight must have shape (E_out, {embed_dim}), got "
                         f"{shape_str(out_proj_weight.shape)}")
    if out_proj_bias is not None:
        _check_shape(op, "out_proj_bias", out_proj_bias, (out_proj_weight.shape[0],))
    if (bias_k is None) != (bias_v is None):
        raise ValueError(f"{op}: bias_k and bias_v must be given together, got "
                         f"{'bias_k' if bias_v is None else 'bias_v'} only")
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise ValueError(f"{op}: bias_k/bias_v cannot be added to static_k/static_v")
        for name, bias in (("bias_k", bias_k), ("bias_v", bias_v)):
            # PyTorch repeats the bias to (1, N, E): (E,), (1, E) and (1, 1, E) all do
            if tuple(bias.shape) not in ((embed_dim,), (1, embed_dim), (1, 1, embed_dim)):
                raise ValueError(f"{op}: {name} must have shape (1, 1, {embed_dim}), (1, "
                                 f"{embed_dim}) or ({embed_dim},), got "
                                 f"{shape_str(bias.shape)}")
    for name, static in (("static_k", static_k), ("static_v", static_v)):
        if static is not None:
            require_tensor(op, name, static)
            if static.ndim != 3 or static.shape[0] != bsz * num_heads \
                    or static.shape[2] != head_dim:
                raise ValueError(f"{op}: {name} must have shape ({bsz * num_heads}, S, "
                                 f"{head_dim}) (N·num_heads, S, head_dim), got "
                                 f"{shape_str(static.shape)}")
    keys = static_k.shape[1] if static_k is not None else src_len
    values = static_v.shape[1] if static_v is not None else src_len
    if keys != values:
        raise ValueError(f"{op}: {keys} keys but {values} values (key shape "
                         f"{shape_str(key.shape)}, static_k "
                         f"{None if static_k is None else shape_str(static_k.shape)}, static_v "
                         f"{None if static_v is None else shape_str(static_v.shape)})")
    src_len = keys  # the masks cover the keys attention sees (static_k's, when given)
    dtype = query.dtype
    for name, t in (("key", key), ("value", value), ("in_proj_weight", in_proj_weight),
                    ("in_proj_bias", in_proj_bias), ("bias_k", bias_k), ("bias_v", bias_v),
                    ("out_proj_weight", out_proj_weight), ("out_proj_bias", out_proj_bias),
                    ("q_proj_weight", q_proj_weight), ("k_proj_weight", k_proj_weight),
                    ("v_proj_weight", v_proj_weight), ("static_k", static_k),
                    ("static_v", static_v)):
        if t is not None and t.dtype != dtype:
            raise TypeError(f"{op}: {name} has dtype {t.dtype} but query has dtype {dtype}")
    if key_padding_mask is not None:
        key_padding_mask = _additive_mask(op, "key_padding_mask", key_padding_mask, dtype)
        _check_shape(op, "key_padding_mask", key_padding_mask,
                     (bsz, src_len) if batched else (src_len,))
    if attn_mask is not None:
        attn_mask = _additive_mask(op, "attn_mask", attn_mask, dtype)
        if attn_mask.ndim == 2:
            _check_shape(op, "2-D attn_mask", attn_mask, (tgt_len, src_len))
        elif attn_mask.ndim == 3:
            _check_shape(op, "3-D attn_mask", attn_mask, (bsz * num_heads, tgt_len, src_len))
        else:
            raise ValueError(f"{op}: attn_mask must be 2-D (L, S) or 3-D (N·num_heads, L, S), "
                             f"got shape {shape_str(attn_mask.shape)}")

    # ---- in-projection, in PyTorch's sequence-first layout
    if batched and batch_first:
        query, key, value = _map_distinct(lambda t: transpose(t, 0, 1), query, key, value)
    elif not batched:
        query, key, value = _map_distinct(lambda t: unsqueeze(t, 1), query, key, value)
        if key_padding_mask is not None:
            key_padding_mask = unsqueeze(key_padding_mask, 0)
    q, k, v = _in_projection(query, key, value, embed_dim, in_proj_weight, in_proj_bias,
                             use_separate_proj_weight, q_proj_weight, k_proj_weight,
                             v_proj_weight)
    if attn_mask is not None and attn_mask.ndim == 2:
        attn_mask = unsqueeze(attn_mask, 0)
    elif attn_mask is None and is_causal:
        m = backend.xp_of(query._data)
        causal = m.tri(tgt_len, src_len, dtype=np.bool_)
        attn_mask = Tensor._make(m.where(causal, dtype.type(0), dtype.type(-np.inf))[None])
    if bias_k is not None:
        k = cat([k, expand(bias_k.reshape(1, 1, embed_dim), (1, bsz, embed_dim))], 0)
        v = cat([v, expand(bias_v.reshape(1, 1, embed_dim), (1, bsz, embed_dim))], 0)
        attn_mask = _pad_key(attn_mask)
        key_padding_mask = _pad_key(key_padding_mask)

    # ---- heads: (len, N, E) -> (N, heads, len, head_dim), row n·heads + h of PyTorch's
    # (N·heads, len, head_dim)
    q = permute(reshape(q, (tgt_len, bsz, num_heads, head_dim)), (1, 2, 0, 3))
    k = _heads(k, static_k, bsz, num_heads, head_dim)
    v = _heads(v, static_v, bsz, num_heads, head_dim)
    if add_zero_attn:
        zeros = Tensor._make(backend.xp_of(q._data).zeros((bsz, num_heads, 1, head_dim),
                                                         dtype=dtype))
        k = cat([k, zeros], 2)
        v = cat([v, zeros], 2)
        attn_mask = _pad_key(attn_mask)
        key_padding_mask = _pad_key(key_padding_mask)
    src_len = k.shape[2]
    mask = None
    if attn_mask is not None:
        mask = reshape(attn_mask, (1, 1, tgt_len, src_len) if attn_mask.shape[0] == 1
                       else (bsz, num_heads, tgt_len, src_len))
    if key_padding_mask is not None:
        padding = reshape(key_padding_mask, (bsz, 1, 1, src_len))
        mask = padding if mask is None else add(mask, padding)

    # ---- attention (one Function), then the output projection
    weights_shape = (bsz, num_heads, tgt_len, src_len)
    drop = _attention_dropout(op, query, dropout_p if training else 0.0, weights_shape)
    result = ScaledDotProductAttention.apply(q, k, v, mask, scale=1 / math.sqrt(head_dim),
                                             causal=False, drop=drop,
                                             return_weights=bool(need_weights))
    out, weights = result if need_weights else (result, None)
    # (N, heads, L, head_dim) -> (N, L, E) or (L, N, E)
    out = permute(out, (0, 2, 1, 3) if batch_first and batched else (2, 0, 1, 3))
    out = reshape(out, out.shape[:2] + (embed_dim,))
    out = linear(out, out_proj_weight, out_proj_bias)
    if not batched:
        out = squeeze(out, 1)
    if weights is not None:
        if average_attn_weights:
            weights = mean(weights, dim=1)
        if not batched:
            weights = squeeze(weights, 0)
    return out, weights


def _seq_first_shape(shape, batched, batch_first):
    """An input's shape as PyTorch's sequence-first (len, N, features)."""
    if not batched:
        return (shape[0], 1, shape[1])
    return (shape[1], shape[0], shape[2]) if batch_first else tuple(shape)


def _pad_key(mask):
    """A mask with one more key column (0: the appended key takes part)."""
    return None if mask is None else pad(mask, (0, 1))


def _map_distinct(fn, *tensors):
    """fn applied once per distinct tensor, so that self-attention (query is key is value)
    stays recognisable afterwards."""
    done = {}
    for t in tensors:
        if id(t) not in done:
            done[id(t)] = fn(t)
    return [done[id(t)] for t in tensors]


def _check_projection(op, E, k_shape, v_shape, in_proj_weight, in_proj_bias, use_separate,
                      q_weight, k_weight, v_weight):
    if in_proj_bias is not None:
        _check_shape(op, "in_proj_bias", in_proj_bias, (3 * E,))
    if use_separate:
        for name, w, features in (("q_proj_weight", q_weight, E),
                                  ("k_proj_weight", k_weight, k_shape[2]),
                                  ("v_proj_weight", v_weight, v_shape[2])):
            if w is None:
                raise ValueError(f"{op}: use_separate_proj_weight=True needs {name}")
            _check_shape(op, name, w, (E, features))
        return
    if in_proj_weight is None:
        raise ValueError(f"{op}: in_proj_weight is None (and use_separate_proj_weight=False)")
    _check_shape(op, "in_proj_weight", in_proj_weight, (3 * E, E))
    if k_shape[2] != E or v_shape[2] != E:
        raise ValueError(f"{op}: key and value must have {E} features (the embedding "
                         f"dimension) with the packed in_proj_weight, got {k_shape[2]} and "
                         f"{v_shape[2]} (use use_separate_proj_weight for other sizes)")


def _in_projection(query, key, value, E, in_proj_weight, in_proj_bias, use_separate,
                   q_weight, k_weight, v_weight):
    """q, k, v = the three linear projections (one GEMM for self-attention)."""
    biases = split(in_proj_bias, E, 0) if in_proj_bias is not None else (None, None, None)
    if use_separate:
        weights = (q_weight, k_weight, v_weight)
    elif query is key and key is value:
        return split(linear(query, in_proj_weight, in_proj_bias), E, -1)
    else:
        weights = split(in_proj_weight, E, 0)
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))


def _heads(x, static, bsz, num_heads, head_dim):
    """(len, N, E) -> (N, heads, len, head_dim), or `static` (N·heads, len, head_dim)."""
    if static is None:
        return permute(reshape(x, (x.shape[0], bsz, num_heads, head_dim)), (1, 2, 0, 3))
    return reshape(static, (bsz, num_heads, static.shape[1], head_dim))
