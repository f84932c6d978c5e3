"""Attention: scaled_dot_product_attention (one Function) and multi_head_attention_forward:
fully masked rows, large scores, threads, dropout, multi-head attention against
nn.MultiheadAttention, bad input, GPU (the gradchecks and PyTorch parity of
scaled_dot_product_attention over fixed and drawn configurations: op_table.py)."""
import numpy as np
import pytest
from conftest import assert_torch_parity, check_gradients, random_array
from hypothesis import given, settings
from hypothesis import strategies as st
from op_inputs import bool_mask, qkv

import minicnn as mc
from minicnn.functional.attention import multi_head_attention_forward, \
    scaled_dot_product_attention as sdpa

torch = pytest.importorskip("torch")
TF = torch.nn.functional


# ---------------------------------------------------------------- scaled_dot_product_attention

def test_sdpa_fully_masked_rows_give_zeros_like_torch():
    q, k, v = (a.astype(np.float32) for a in qkv())
    mask = bool_mask((2, 3, 5))
    mask[0, 2] = False
    mask[1, 0] = False
    out = sdpa(mc.tensor(q), mc.tensor(k), mc.tensor(v), attn_mask=mc.tensor(mask)).numpy()
    assert np.all(out[0, 2] == 0) and np.all(out[1, 0] == 0) and np.isfinite(out).all()
    assert_torch_parity(lambda q, k, v, m: sdpa(q, k, v, attn_mask=m),
                        lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m),
                        q, k, v, mask)


def test_sdpa_large_scores_are_stable():
    q, k, v = (a.astype(np.float32) for a in qkv())
    out = sdpa(mc.tensor(q * 300), mc.tensor(k * 300), mc.tensor(v)).numpy()
    expected = TF.scaled_dot_product_attention(torch.tensor(q * 300), torch.tensor(k * 300),
                                               torch.tensor(v)).numpy()
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def _sdpa_with_grads(threads, arrays, drop_seed):
    mc.set_num_threads(threads)
    mc.manual_seed(drop_seed)
    tensors = [mc.tensor(a, requires_grad=True) for a in arrays]
    q, k, v, mask = tensors
    out = sdpa(q, k, v, attn_mask=mask, dropout_p=0.25)
    (out * mc.tensor(random_array(out.shape, 9, np.float32))).sum().backward()
    return [out.detach().numpy()] + [t.grad.numpy() for t in tensors]


def test_sdpa_split_across_threads_equals_one_thread():
    """With several threads the batch is split into parts (minicnn.threads.parallel_for);
    broadcast key, mask and dropout must come out as on one thread."""
    arrays = [random_array((5, 4, 7, 6), 0, np.float32), random_array((1, 4, 9, 6), 1, np.float32),
              random_array((5, 4, 9, 3), 2, np.float32), random_array((1, 4, 1, 9), 3, np.float32)]
    before = mc.get_num_threads()
    try:
        one, split = (_sdpa_with_grads(n, arrays, 7) for n in (1, 3))
    finally:
        mc.set_num_threads(before)
    for a, b in zip(one, split):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- dropout

def test_sdpa_dropout_p0_is_exact():
    q, k, v = (mc.tensor(a) for a in (a.astype(np.float32) for a in qkv()))
    np.testing.assert_array_equal(sdpa(q, k, v, dropout_p=0.0).numpy(), sdpa(q, k, v).numpy())


def test_sdpa_dropout_is_reproducible_after_manual_seed():
    q, k, v = (mc.tensor(a) for a in qkv(batch=(4,), L=8, S=8))
    mc.manual_seed(5)
    first = sdpa(q, k, v, dropout_p=0.5).numpy()
    second = sdpa(q, k, v, dropout_p=0.5).numpy()
    mc.manual_seed(5)
    again = sdpa(q, k, v, dropout_p=0.5).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("p", [0.2, 0.6])
def test_sdpa_dropout_zeroes_weights_and_rescales_the_rest(p):
    """With value = identity the output is the weight matrix itself."""
    L = S = 40
    q, k, _ = qkv(batch=(8,), L=L, S=S, E=6)
    v = np.broadcast_to(np.eye(S), (8, S, S)).copy()
    q, k, v = mc.tensor(q), mc.tensor(k), mc.tensor(v)
    weights = sdpa(q, k, v).numpy()
    np.testing.assert_allclose(weights.sum(-1), 1, rtol=1e-12)
    mc.manual_seed(0)
    dropped = sdpa(q, k, v, dropout_p=p).numpy()
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], weights[kept] / (1 - p), rtol=1e-12)
    assert abs((~kept).mean() - p) < 0.02  # 12800 draws: std of the fraction <= 0.0045


def test_sdpa_dropout_p1_gives_zeros():
    q, k, v = (mc.tensor(a, requires_grad=True) for a in qkv())
    out = sdpa(q, k, v, dropout_p=1.0)
    assert not out.detach().numpy().any()
    out.sum().backward()
    assert not q.grad.numpy().any() and not v.grad.numpy().any()


# ---------------------------------------------------------------- multi-head attention

def mha_module(E, h, batch_first, seed=0, **kwargs):
    """torch.nn.MultiheadAttention with random weights (biases too), and its parameters."""
    torch.manual_seed(seed)
    module = torch.nn.MultiheadAttention(E, h, batch_first=batch_first, **kwargs)
    params = {}
    for i, (name, p) in enumerate(module.named_parameters()):
        params[name] = random_array(tuple(p.shape), seed + 10 + i, np.float32) * 0.5
    return module, params


def mha_parity(module, params, E, h, batch_first, inputs, self_attention=False,
               key_padding_mask=None, attn_mask=None, need_weights=True, average=True,
               is_causal=False, torch_attn_mask=None, rtol=1e-4, atol=2e-5, **mc_kwargs):
    """Outputs and the gradients of every input and parameter equal nn.MultiheadAttention's."""
    names = list(params)
    n_in = len(inputs)

    def mc_fn(*args):
        xs, ps = args[:n_in], dict(zip(names, args[n_in:]))
        q, k, v = (xs[0],) * 3 if self_attention else xs
        separate = "q_proj_weight" in ps
        out, w = multi_head_attention_forward(
            q, k, v, E, h, ps.get("in_proj_weight"), ps.get("in_proj_bias"), ps.get("bias_k"),
            ps.get("bias_v"), mc_kwargs.get("add_zero_attn", False), 0.0,
            ps["out_proj.weight"], ps["out_proj.bias"],
            key_padding_mask=None if key_padding_mask is None else mc.tensor(key_padding_mask),
            need_weights=need_weights,
            attn_mask=None if attn_mask is None else mc.tensor(attn_mask),
            average_attn_weights=average, is_causal=is_causal, batch_first=batch_first,
            use_separate_proj_weight=separate, q_proj_weight=ps.get("q_proj_weight"),
            k_proj_weight=ps.get("k_proj_weight"), v_proj_weight=ps.get("v_proj_weight"))
        assert (w is None) == (not need_weights)
        return (out, w) if need_weights else out

    def torch_fn(*args):
        xs, ps = args[:n_in], dict(zip(names, args[n_in:]))
        q, k, v = (xs[0],) * 3 if self_attention else xs
        mask = attn_mask if torch_attn_mask is None else torch_attn_mask
        out, w = torch.func.functional_call(module, ps, (q, k, v), dict(
            key_padding_mask=None if key_padding_mask is None else torch.tensor(key_padding_mask),
            need_weights=need_weights, attn_mask=None if mask is None else torch.tensor(mask),
            average_attn_weights=average, is_causal=is_causal))
        return (out, w) if need_weights else out

    assert_torch_parity(mc_fn, torch_fn, *inputs, *params.values(), rtol=rtol, atol=atol)


def seq_inputs(shapes, batch_first, seed=0):
    """Random (len, N, features) arrays, laid out (N, len, features) when batch_first."""
    out = []
    for i, (length, n, f) in enumerate(shapes):
        shape = (n, length, f) if batch_first else (length, n, f)
        out.append(random_array(shape, seed + i, np.float32))
    return out


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("self_attention", [False, True])
def test_mha_matches_torch(batch_first, self_attention):
    E, h, L, S, N = 8, 2, 5, 7, 3
    module, params = mha_module(E, h, batch_first)
    shapes = [(L, N, E)] if self_attention else [(L, N, E), (S, N, E), (S, N, E)]
    mha_parity(module, params, E, h, batch_first, seq_inputs(shapes, batch_first),
               self_attention=self_attention)


@settings(max_examples=200, derandomize=True)  # ≥200 drawn configurations per op
@given(heads=st.integers(1, 3), head_dim=st.integers(1, 3), L=st.integers(1, 5),
       S=st.integers(1, 5), N=st.integers(1, 3), batch_first=st.booleans(),
       self_attention=st.booleans(), padding=st.booleans(), need_weights=st.booleans())
def test_mha_matches_torch_on_drawn_shapes(heads, head_dim, L, S, N, batch_first,
                                           self_attention, padding, need_weights):
    E = heads * head_dim
    S = L if self_attention else S
    module, params = mha_module(E, heads, batch_first)
    shapes = [(L, N, E)] if self_attention else [(L, N, E), (S, N, E), (S, N, E)]
    key_padding_mask = None
    if padding:  # mask the last key of every sequence but one (no row fully masked)
        key_padding_mask = np.zeros((N, S), dtype=bool)
        key_padding_mask[1:, -1] = S > 1
    mha_parity(module, params, E, heads, batch_first, seq_inputs(shapes, batch_first),
               self_attention=self_attention, key_padding_mask=key_padding_mask,
               need_weights=need_weights)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("average", [True, False])
@pytest.mark.parametrize("mask_kind", ["bool2d", "float2d", "bool3d", "float3d"])
def test_mha_masks_match_torch(batch_first, average, mask_kind):
    E, h, L, S, N = 8, 2, 4, 6, 3
    module, params = mha_module(E, h, batch_first, seed=1)
    inputs = seq_inputs([(L, N, E), (S, N, E), (S, N, E)], batch_first, seed=2)
    kpm = np.random.default_rng(3).random((N, S)) < 0.4
    kpm[:, 0] = False  # never pad every key of a sequence (PyTorch gives NaN there)
    shape = (L, S) if mask_kind.endswith("2d") else (N * h, L, S)
    if mask_kind.startswith("bool"):
        mask = ~bool_mask(shape, seed=4)  # MHA's convention: True = masked out
    else:
        mask = random_array(shape, seed=4, dtype=np.float32)
        mask[..., 3] = -np.inf
        kpm = np.where(kpm, -np.inf, 0).astype(np.float32)  # one mask type, as PyTorch wants
    mha_parity(module, params, E, h, batch_first, inputs, key_padding_mask=kpm,
               attn_mask=mask, average=average)


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_without_weights_matches_torch(batch_first):
    E, h, L, N = 12, 3, 6, 2
    module, params = mha_module(E, h, batch_first, seed=2)
    kpm = np.zeros((N, L), dtype=bool)
    kpm[1, 3:] = True
    mha_parity(module, params, E, h, batch_first, seq_inputs([(L, N, E)], batch_first),
               self_attention=True, key_padding_mask=kpm, need_weights=False)


def test_mha_float_key_padding_mask_and_unbatched_input_match_torch():
    E, h, L, S = 6, 3, 4, 5
    module, params = mha_module(E, h, False, seed=3)
    inputs = [random_array((L, E), 0, np.float32), random_array((S, E), 1, np.float32),
              random_array((S, E), 2, np.float32)]
    kpm = random_array((S,), seed=5, dtype=np.float32)
    mha_parity(module, params, E, h, False, inputs, key_padding_mask=kpm, average=False)


def test_mha_is_causal_matches_torch_and_builds_the_mask():
    E, h, L, N = 8, 4, 5, 2
    module, params = mha_module(E, h, True, seed=4)
    inputs = seq_inputs([(L, N, E)], True)
    causal = np.triu(np.ones((L, L), dtype=bool), k=1)
    # PyTorch needs the mask as well as the hint; minicnn builds it from is_causal alone
    mha_parity(module, params, E, h, True, inputs, self_attention=True, is_causal=True,
               torch_attn_mask=causal)


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_bias_kv_and_zero_attn_match_torch(batch_first):
    E, h, L, S, N = 8, 2, 3, 4, 2
    module, params = mha_module(E, h, batch_first, seed=5, add_bias_kv=True, add_zero_attn=True)
    inputs = seq_inputs([(L, N, E), (S, N, E), (S, N, E)], batch_first, seed=6)
    kpm = np.zeros((N, S), dtype=bool)
    kpm[0, -1] = True
    mha_parity(module, params, E, h, batch_first, inputs, key_padding_mask=kpm,
               attn_mask=~bool_mask((L, S), seed=7), add_zero_attn=True)


def test_mha_separate_kdim_vdim_match_torch():
    E, h, L, S, N = 8, 4, 3, 5, 2
    module, params = mha_module(E, h, True, seed=6, kdim=3, vdim=5)
    assert "q_proj_weight" in params
    inputs = seq_inputs([(L, N, E), (S, N, 3), (S, N, 5)], True, seed=8)
    mha_parity(module, params, E, h, True, inputs)


def test_mha_fully_padded_sequence_gives_zeros_like_torch_without_weights():
    E, h, L, N = 4, 2, 3, 2
    module, params = mha_module(E, h, False, seed=7)
    kpm = np.zeros((N, L), dtype=bool)
    kpm[1] = True
    mha_parity(module, params, E, h, False, seq_inputs([(L, N, E)], False),
               self_attention=True, key_padding_mask=kpm, need_weights=False)
    # with need_weights PyTorch gives NaN there; minicnn gives zero weights
    x = mc.tensor(seq_inputs([(L, N, E)], False)[0])
    ps = {k: mc.tensor(v) for k, v in params.items()}
    out, w = multi_head_attention_forward(x, x, x, E, h, ps["in_proj_weight"],
                                          ps["in_proj_bias"], None, None, False, 0.0,
                                          ps["out_proj.weight"], ps["out_proj.bias"],
                                          key_padding_mask=mc.tensor(kpm))
    assert np.isfinite(out.numpy()).all() and not w.numpy()[1].any()


def test_mha_static_kv_match_torch_functional():
    E, h, L, S, N = 6, 2, 3, 4, 2
    arrays = [random_array(s, 40 + i, np.float32) for i, s in enumerate(
        [(L, N, E), (S, N, E), (S, N, E), (3 * E, E), (3 * E,), (E, E), (E,),
         (N * h, S + 1, E // h), (N * h, S + 1, E // h)])]
    kpm = np.zeros((N, S + 1), dtype=bool)
    kpm[1, 0] = True

    def call(f, tensor):
        def fn(q, k, v, w_in, b_in, w_out, b_out, sk, sv):
            return f(q, k, v, E, h, w_in, b_in, None, None, False, 0.0, w_out, b_out,
                     key_padding_mask=tensor(kpm), static_k=sk, static_v=sv)
        return fn

    assert_torch_parity(call(multi_head_attention_forward, mc.tensor),
                        call(TF.multi_head_attention_forward, torch.tensor), *arrays,
                        rtol=1e-4, atol=2e-5)


def test_mha_gradcheck_float64():
    E, h, L, S, N = 4, 2, 3, 4, 2
    ws = [random_array(s, 20 + i) * 0.5 for i, s in
          enumerate([(3 * E, E), (3 * E,), (E, E), (E,), (1, 1, E), (1, 1, E)])]
    kpm = np.zeros((N, S), dtype=bool)
    kpm[0, 1] = True

    def fn(q, k, v, w_in, b_in, w_out, b_out, bk, bv, mask):
        return multi_head_attention_forward(q, k, v, E, h, w_in, b_in, bk, bv, True, 0.0,
                                            w_out, b_out, key_padding_mask=mc.tensor(kpm),
                                            attn_mask=mask, average_attn_weights=False)

    # every input gets a gradient, the float attn_mask too
    check_gradients(fn, random_array((L, N, E), 0), random_array((S, N, E), 1),
                    random_array((S, N, E), 2), *ws, random_array((L, S), 3),
                    mode="direction", directions=4)


def test_mha_dropout_only_in_training():
    E, h, L, N = 4, 2, 6, 2
    x = mc.tensor(random_array((L, N, E), 0))
    ws = [mc.tensor(random_array(s, 30 + i)) for i, s in
          enumerate([(3 * E, E), (3 * E,), (E, E), (E,)])]

    def run(p, training):
        return multi_head_attention_forward(x, x, x, E, h, ws[0], ws[1], None, None, False, p,
                                            ws[2], ws[3], training=training,
                                            average_attn_weights=False)

    out, w = run(0.0, True)
    out_eval, w_eval = run(0.5, False)
    np.testing.assert_array_equal(out.numpy(), out_eval.numpy())
    mc.manual_seed(1)
    _, w_drop = run(0.5, True)
    kept = w_drop.numpy() != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(w_drop.numpy()[kept], w.numpy()[kept] * 2, rtol=1e-12)


# ---------------------------------------------------------------- bad input

def _t(shape, dtype=np.float32):
    return mc.tensor(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("args, kwargs, error, match", [
    (((2, 3, 4), (2, 5, 6), (2, 5, 3)), {}, ValueError,
     r"scaled_dot_product_attention: query has 4 features but key has 6 .*\(2, 3, 4\).*"
     r"\(2, 5, 6\)"),
    (((2, 3, 4), (2, 5, 4), (2, 6, 3)), {}, ValueError,
     r"key has 5 positions but value has 6"),
    (((2, 3, 4), (3, 5, 4), (3, 5, 3)), {}, ValueError,
     r"scaled_dot_product_attention: shapes \(2,\) and \(3,\) cannot be broadcast"),
    (((4,), (5, 4), (5, 3)), {}, ValueError, r"query must have at least 2 dimensions"),
    (((2, 3, 4), (2, 5, 4), (2, 5, 3)), {"attn_mask": (3, 4)}, ValueError,
     r"attn_mask of shape \(3, 4\) cannot be broadcast to the attention weights' shape "
     r"\(2, 3, 5\)"),
    (((2, 3, 4), (2, 5, 4), (2, 5, 3)), {"attn_mask": (4, 2, 3, 5)}, ValueError,
     r"attn_mask of shape \(4, 2, 3, 5\)"),
    (((2, 3, 4), (2, 5, 4), (2, 5, 3)), {"attn_mask": (3, 5), "is_causal": True}, ValueError,
     r"attn_mask .* must not be given together with is_causal=True"),
    (((2, 3, 4), (2, 5, 4), (2, 5, 3)), {"dropout_p": 1.5}, ValueError,
     r"scaled_dot_product_attention: dropout probability has to be between 0 and 1"),
])
def test_sdpa_bad_input(args, kwargs, error, match):
    kwargs = {k: _t(v) if k == "attn_mask" else v for k, v in kwargs.items()}
    with pytest.raises(error, match=match):
        sdpa(*(_t(s) for s in args), **kwargs)


def test_sdpa_bad_dtypes():
    q, k, v = _t((2, 3, 4)), _t((2, 5, 4)), _t((2, 5, 3))
    with pytest.raises(TypeError, match=r"scaled_dot_product_attention: attn_mask must be a "
                                        r"bool or floating tensor, got dtype int64"):
        sdpa(q, k, v, attn_mask=_t((3, 5), np.int64))
    with pytest.raises(TypeError, match=r"query, key and value must have one dtype"):
        sdpa(q, k, _t((2, 5, 3), np.float64))
    with pytest.raises(TypeError, match=r"argument 'key' must be a Tensor"):
        sdpa(q, np.zeros((2, 5, 4)), v)


def _mha(query, key, value, E=8, h=2, w_in=None, b_in=None, w_out=None, dropout_p=0.0,
         **kwargs):
    w_in = _t((3 * E, E)) if w_in is None else w_in
    b_in = _t((3 * E,)) if b_in is None else b_in
    w_out = _t((E, E)) if w_out is None else w_out
    bias_k, bias_v = kwargs.pop("bias_k", None), kwargs.pop("bias_v", None)
    return multi_head_attention_forward(query, key, value, E, h, w_in, b_in, bias_k, bias_v,
                                        False, dropout_p, w_out, _t((E,)), **kwargs)


@pytest.mark.parametrize("shapes, kwargs, match", [
    (((4, 2, 8), (5, 2, 8), (5, 2, 8)), {"E": 6, "w_in": _t((18, 8))},
     r"multi_head_attention_forward: query has embedding dimension 8 but embed_dim_to_check "
     r"is 6"),
    (((4, 2, 8), (5, 2, 8), (5, 2, 8)), {"h": 3},
     r"embed_dim 8 is not divisible by num_heads 3"),
    (((4, 2, 8), (5, 2, 8), (5, 2, 8)), {"w_in": _t((16, 8))},
     r"in_proj_weight must have shape \(24, 8\), got \(16, 8\)"),
    (((4, 2, 8), (5, 2, 8), (6, 2, 8)), {}, r"key has 5 positions but value has 6"),
    (((4, 2, 8), (5, 3, 8), (5, 3, 8)), {}, r"one batch size"),
    (((4, 2, 8), (5, 2, 8), (5, 2, 8)), {"key_padding_mask": (2, 4)},
     r"key_padding_mask must have shape \(2, 5\), got \(2, 4\)"),
    (((4, 2, 8), (5, 2, 8), (5, 2, 8)), {"attn_mask": (5, 4)},
     r"2-D attn_mask must have shape \(4, 5\), got \(5, 4\)"),
    (((4, 2, 8), (5, 2, 8), (5, 2, 8)), {"attn_mask": (2, 4, 5)},
     r"3-D attn_mask must have shape \(4, 4, 5\), got \(2, 4, 5\)"),
    (((4, 2, 8), (5, 2, 8), (5, 2, 8)), {"attn_mask": (1, 1, 4, 5)},
     r"attn_mask must be 2-D \(L, S\) or 3-D"),
    (((4, 2, 8), (5, 2, 8), (5, 2, 8)), {"bias_k": (1, 1, 8)},
     r"bias_k and bias_v must be given together"),
    (((1, 4, 2, 8), (5, 2, 8), (5, 2, 8)), {}, r"must all be 3-D \(batched\) or all 2-D"),
    (((4, 2, 8), (5, 2, 6), (5, 2, 6)), {},
     r"key and value must have 8 features .* got 6 and 6"),
    (((4, 2, 8), (5, 2, 8), (5, 2, 8)), {"w_out": _t((8, 4))},
     r"out_proj_weight must have shape \(E_out, 8\), got \(8, 4\)"),
    (((4, 2, 8), (5, 2, 8), (5, 2, 8)), {"dropout_p": -0.1},
     r"dropout probability has to be between 0 and 1, but got -0.1 \(argument 'dropout_p'\)"),
    (((2, 4, 8), (2, 5, 8), (2, 6, 8)), {"batch_first": True},
     r"key has 5 positions but value has 6 \(key shape \(2, 5, 8\)"),
])
def test_mha_bad_input(shapes, kwargs, match):
    for name in ("key_padding_mask", "attn_mask", "bias_k"):
        if name in kwargs:
            kwargs[name] = _t(kwargs[name], bool if name != "bias_k" else np.float32)
    with pytest.raises(ValueError, match=match):
        _mha(*(_t(s) for s in shapes), **kwargs)


def test_mha_output_projection_may_change_width():
    """out_proj (E_out, E) with E_out ≠ E, as torch allows (CLIP's attention pooling)."""
    torch = pytest.importorskip("torch")
    q, k = _t((4, 2, 8)), _t((5, 2, 8))
    w_in, w_out, b_out = _t((24, 8)), _t((6, 8)), _t((6,))
    out, _ = multi_head_attention_forward(q, k, k, 8, 2, w_in, None, None, None, False, 0.0,
                                          w_out, b_out, training=False)
    tq, tk = torch.tensor(q.numpy()), torch.tensor(k.numpy())
    want, _ = torch.nn.functional.multi_head_attention_forward(
        tq, tk, tk, 8, 2, torch.tensor(w_in.numpy()), None, None, None, False, 0.0,
        torch.tensor(w_out.numpy()), torch.tensor(b_out.numpy()), training=False)
    assert tuple(out.shape) == (4, 2, 6)
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_mha_bad_dtypes():
    x = _t((4, 2, 8))
    with pytest.raises(TypeError, match=r"multi_head_attention_forward: in_proj_weight has dtype "
                                        r"float64 but query has dtype float32"):
        _mha(x, x, x, w_in=_t((24, 8), np.float64))
    with pytest.raises(TypeError, match=r"key_padding_mask must be a bool or floating tensor"):
        _mha(x, x, x, key_padding_mask=_t((2, 4), np.int64))


# ---------------------------------------------------------------- GPU

@pytest.mark.gpu
@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_cuda_matches_cpu(causal):
    arrays = list(qkv(batch=(2, 3), L=5, S=7, E=4, Ev=6))
    if not causal:
        arrays.append(random_array((5, 7), seed=9))  # a float mask: it gets a gradient too
    outs, grads = [], []
    for device in ("cpu", "cuda"):
        ts = [mc.tensor(a, device=device, requires_grad=True) for a in arrays]
        out = sdpa(*ts[:3], attn_mask=ts[3] if len(ts) > 3 else None, is_causal=causal,
                   scale=0.5)
        (out * mc.tensor(random_array(out.shape, 10), device=device)).sum().backward()
        outs.append(out.detach().cpu().numpy())
        grads.append([t.grad.cpu().numpy() for t in ts])
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-10, atol=1e-12)
    for g_gpu, g_cpu in zip(grads[1], grads[0]):
        np.testing.assert_allclose(g_gpu, g_cpu, rtol=1e-10, atol=1e-12)


@pytest.mark.gpu
def test_mha_cuda_runs_with_masks_and_dropout():
    E, h, L, N = 8, 2, 5, 3
    x = mc.tensor(random_array((N, L, E), 0, np.float32), device="cuda", requires_grad=True)
    ws = [mc.tensor(random_array(s, 50 + i, np.float32), device="cuda", requires_grad=True)
          for i, s in enumerate([(3 * E, E), (3 * E,), (E, E), (E,)])]
    kpm = np.zeros((N, L), dtype=bool)
    kpm[1, 3:] = True
    mc.manual_seed(0)
    out, w = multi_head_attention_forward(x, x, x, E, h, ws[0], ws[1], None, None, True, 0.1,
                                          ws[2], ws[3], batch_first=True, is_causal=True,
                                          key_padding_mask=mc.tensor(kpm, device="cuda"))
    assert out.is_cuda and tuple(out.shape) == (N, L, E) and tuple(w.shape) == (N, L, L + 1)
    out.sum().backward()
    assert all(t.grad is not None and t.grad.is_cuda for t in [x] + ws)
