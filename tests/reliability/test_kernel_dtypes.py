"""Every op with kernels, for every dtype: a correct result or a TypeError naming the op
and the dtype before any kernel runs, never a traceback from inside a kernel.

float16 runs in float32 and is rounded back (PyTorch's CPU half ops do the same); integer
max pooling gives PyTorch's values and indices; the ops that average, normalise or
exponentiate need a floating tensor. bfloat16 has no NumPy dtype (it would need the
ml_dtypes package), so minicnn has no bfloat16 tensors to test.
"""
import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

INTEGERS = [np.int8, np.uint8, np.int32, np.int64]


def _data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _conv(x, w, **kwargs):
    return lambda ops, t: ops.conv2d(t(x), t(w), **kwargs)


# name, call(ops, as_tensor): the same call on minicnn (ops=F) and PyTorch (ops=TF)
OPS = [
    ("conv2d", _conv(_data((2, 4, 7, 7)), _data((6, 4, 3, 3)), padding=1)),
    ("conv2d", _conv(_data((1, 16, 6, 6)), _data((8, 16, 3, 3)), padding=1)),   # Winograd
    ("conv2d", _conv(_data((2, 4, 7, 7)), _data((4, 1, 3, 3)), groups=4)),      # depthwise
    ("conv2d", _conv(_data((2, 4, 5, 5)), _data((3, 4, 1, 1)))),                # pointwise
    ("conv2d", _conv(_data((2, 8, 7, 7)), _data((6, 4, 3, 3)), padding=1, groups=2)),  # grouped
    ("conv_transpose2d",
     lambda ops, t: ops.conv_transpose2d(t(_data((2, 4, 5, 5))), t(_data((4, 3, 3, 3))),
                                         stride=2)),
    ("max_pool2d", lambda ops, t: ops.max_pool2d(t(_data((2, 3, 7, 7))), 3, 2, padding=1)),
    ("avg_pool2d", lambda ops, t: ops.avg_pool2d(t(_data((2, 3, 7, 7))), 3, 2, padding=1)),
    ("adaptive_avg_pool2d", lambda ops, t: ops.adaptive_avg_pool2d(t(_data((2, 3, 7, 7))), 3)),
    ("adaptive_max_pool2d", lambda ops, t: ops.adaptive_max_pool2d(t(_data((2, 3, 8, 8))), 4)),
    ("softmax", lambda ops, t: ops.softmax(t(_data((3, 5))), dim=1)),
    ("log_softmax", lambda ops, t: ops.log_softmax(t(_data((3, 5))), dim=0)),
    ("gelu", lambda ops, t: ops.gelu(t(_data((3, 5))))),
    ("scaled_dot_product_attention",
     lambda ops, t: ops.scaled_dot_product_attention(t(_data((2, 3, 4))), t(_data((2, 5, 4))),
                                                     t(_data((2, 5, 4))))),
    ("batch_norm", lambda ops, t: ops.batch_norm(t(_data((4, 3, 2))), None, None,
                                                 t(_data(3) + 2), t(_data(3)), training=True)),
    ("batch_norm", lambda ops, t: ops.batch_norm(t(_data((4, 3))), t(_data(3)),
                                                 t(abs(_data(3)) + 1), training=False)),
    ("layer_norm", lambda ops, t: ops.layer_norm(t(_data((4, 6))), (6,), t(_data(6)))),
    ("group_norm", lambda ops, t: ops.group_norm(t(_data((2, 4, 3))), 2)),
    ("local_response_norm", lambda ops, t: ops.local_response_norm(t(_data((2, 5, 3))), 3)),
]
OP_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(OPS)]


def _ours(dtype):
    return lambda a: mc.tensor(np.asarray(a).astype(dtype))


def _theirs(dtype):
    return lambda a: torch.tensor(np.asarray(a).astype(dtype))


def _first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("name, call", OPS, ids=OP_IDS)
def test_float16_computes_in_float32_and_rounds_back(name, call):
    out = _first(call(F, _ours(np.float16)))
    # the float16 values, computed in float32 by PyTorch, rounded to float16
    expected = _first(call(TF, lambda a: _theirs(np.float16)(a).float())).numpy()
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.numpy().astype(np.float32),
                               expected.astype(np.float16).astype(np.float32),
                               rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("name, call", [op for op in OPS if not op[0].endswith("max_pool2d")],
                         ids=[i for i in OP_IDS if "max_pool2d" not in i])
@pytest.mark.parametrize("dtype", INTEGERS + [np.bool_], ids=lambda d: np.dtype(d).name)
def test_integer_and_bool_tensors_are_refused_naming_op_and_dtype(name, call, dtype):
    with pytest.raises(TypeError, match=f"{name}: .*{np.dtype(dtype).name}"):
        call(F, _ours(dtype))


@pytest.mark.parametrize("pool", ["max_pool2d", "adaptive_max_pool2d"])
def test_max_pooling_refuses_bool(pool):
    with pytest.raises(TypeError, match=f"{pool}: input of dtype bool is not supported"):
        getattr(F, pool)(mc.zeros(1, 1, 4, 4, dtype=mc.bool), 2)


@pytest.mark.parametrize("forms", ["auto", "reference"])
@pytest.mark.parametrize("dtype", INTEGERS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("kwargs", [dict(kernel_size=3, stride=2, padding=1),
                                    dict(kernel_size=2, stride=1, dilation=2, padding=1),
                                    dict(kernel_size=3, stride=2, ceil_mode=True)],
                         ids=["padded", "dilated", "ceil"])
def test_integer_max_pooling_matches_pytorch(forms, dtype, kwargs):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(1)
    x = rng.integers(info.min, info.max, (2, 3, 7, 6), dtype=dtype, endpoint=True)
    x[0, 0] = info.min                         # a plane of the least value: padding ties
    with mc.set_kernels(forms):
        y, idx = F.max_pool2d(mc.tensor(x), return_indices=True, **kwargs)
    ty, tidx = TF.max_pool2d(torch.tensor(x.astype(np.int64)), return_indices=True, **kwargs)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), ty.numpy().astype(dtype))
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def _adaptive_max(x, out_hw):
    """PyTorch's adaptive bins [floor(i·n/out), ceil((i+1)·n/out)), maximum of each."""
    bins = [[(i * n // o, -(-(i + 1) * n // o)) for i in range(o)]
            for n, o in zip(x.shape[2:], out_hw)]
    return np.stack([np.stack([x[:, :, h0:h1, w0:w1].max(axis=(2, 3)) for w0, w1 in bins[1]],
                              axis=-1) for h0, h1 in bins[0]], axis=-2)


@pytest.mark.parametrize("forms", ["auto", "reference"])
@pytest.mark.parametrize("dtype", INTEGERS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("out_hw", [(3, 2), (7, 3)], ids=["bins", "windows"])
def test_integer_adaptive_max_pooling_takes_each_bins_maximum(forms, dtype, out_hw):
    info = np.iinfo(dtype)
    x = np.random.default_rng(2).integers(info.min, info.max, (2, 3, 7, 6), dtype=dtype,
                                          endpoint=True)
    with mc.set_kernels(forms):
        y = F.adaptive_max_pool2d(mc.tensor(x), out_hw)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), _adaptive_max(x, out_hw))


def test_float16_gradients_come_back_in_float16():
    x = mc.tensor(_data((2, 4, 6, 6)).astype(np.float16), requires_grad=True)
    w = mc.tensor(_data((3, 4, 3, 3)).astype(np.float16), requires_grad=True)
    F.max_pool2d(F.conv2d(x, w, padding=1), 2).sum().backward()
    x64 = mc.tensor(x.detach().numpy().astype(np.float64), requires_grad=True)
    w64 = mc.tensor(w.detach().numpy().astype(np.float64), requires_grad=True)
    F.max_pool2d(F.conv2d(x64, w64, padding=1), 2).sum().backward()
    assert x.grad.dtype == w.grad.dtype == np.float16
    np.testing.assert_allclose(w.grad.numpy(), w64.grad.numpy(), rtol=1e-2, atol=2e-2)
    np.testing.assert_allclose(x.grad.numpy(), x64.grad.numpy(), rtol=1e-2, atol=2e-2)


def test_float16_layers_keep_float16_parameters_and_outputs():
    conv = mc.nn.Conv2d(3, 4, 3, dtype=mc.float16)
    norm = mc.nn.BatchNorm2d(4, dtype=mc.float16)
    attention = mc.nn.MultiheadAttention(4, 2, dtype=mc.float16)
    y = norm(conv(mc.tensor(_data((2, 3, 5, 5)).astype(np.float16))))
    seq = mc.tensor(_data((5, 2, 4)).astype(np.float16))
    out, weights = attention(seq, seq, seq)
    assert y.dtype == out.dtype == weights.dtype == norm.running_mean.dtype == np.float16


def test_mixed_float16_and_float32_arguments_are_still_a_dtype_error():
    with pytest.raises(TypeError, match="conv2d: input dtype float16 does not match weight "
                                        "dtype float32"):
        F.conv2d(mc.zeros(1, 2, 4, 4, dtype=mc.float16), mc.zeros(3, 2, 3, 3))


def test_softmax_dtype_argument_wins_over_float16_input():
    x = mc.tensor(_data((3, 4)).astype(np.float16))
    assert F.softmax(x, dim=1, dtype=mc.float32).dtype == np.float32
    assert F.log_softmax(x, dim=1).dtype == np.float16
