"""Pooling ops: gradients, PyTorch parity on drawn configurations (untied inputs), errors."""
import numpy as np
import pytest
from conftest import assert_torch_parity, check_gradients, untied_array
from hypothesis import assume, given, settings, strategies as st

import minicnn as mc
from minicnn.functional.pooling import (adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d,
                                        global_avg_pool2d, max_pool2d, max_unpool2d)

torch = pytest.importorskip("torch")
TF = torch.nn.functional


@st.composite
def pool_configs(draw, dilation=True):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    dil = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if dilation else (1, 1)
    span = (dil[0] * (kh - 1) + 1, dil[1] * (kw - 1) + 1)
    h = draw(st.integers(max(1, span[0] - 2 * padding[0]), 11))
    w = draw(st.integers(max(1, span[1] - 2 * padding[1]), 11))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w)
    return dict(shape=shape, kernel_size=(kh, kw), stride=stride, padding=padding,
                dilation=dil, ceil_mode=draw(st.booleans()))


@settings(max_examples=200, derandomize=True)
@given(pool_configs())
def test_max_pool2d_matches_torch_with_indices(cfg):
    x = untied_array(cfg.pop("shape"), dtype=np.float32)
    # a dilated window can fall wholly into the padding: PyTorch then returns −inf and an
    # index outside the plane, a case with no meaningful gradient
    assume(np.isfinite(TF.max_pool2d(torch.tensor(x), **cfg).numpy()).all())
    assert_torch_parity(lambda t: max_pool2d(t, **cfg, return_indices=True),
                        lambda t: TF.max_pool2d(t, **cfg, return_indices=True), x)


@settings(max_examples=200, derandomize=True)
@given(pool_configs(dilation=False), st.booleans(), st.sampled_from([None, 3]))
def test_avg_pool2d_matches_torch(cfg, count_include_pad, divisor_override):
    x = untied_array(cfg.pop("shape"), dtype=np.float32)
    del cfg["dilation"]
    kw = dict(cfg, count_include_pad=count_include_pad, divisor_override=divisor_override)
    assert_torch_parity(lambda t: avg_pool2d(t, **kw), lambda t: TF.avg_pool2d(t, **kw), x)


@settings(max_examples=200, derandomize=True)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.integers(1, 5))
def test_adaptive_pools_match_torch(h, w, oh, ow):
    x = untied_array((2, 3, h, w), dtype=np.float32)
    assert_torch_parity(lambda t: adaptive_avg_pool2d(t, (oh, ow)),
                        lambda t: TF.adaptive_avg_pool2d(t, (oh, ow)), x)
    assert_torch_parity(lambda t: adaptive_max_pool2d(t, (oh, ow), return_indices=True),
                        lambda t: TF.adaptive_max_pool2d(t, (oh, ow), return_indices=True), x)


@settings(max_examples=200, derandomize=True)
@given(pool_configs(dilation=False))
def test_max_unpool2d_matches_torch(cfg):
    x = untied_array(cfg.pop("shape"), dtype=np.float32)
    # unpooling inverts non-overlapping pooling; overlapping windows repeat indices, and
    # which repeated value lands is unspecified in PyTorch
    window = dict(kernel_size=cfg["kernel_size"], stride=cfg["kernel_size"],
                  padding=cfg["padding"])
    _, indices = max_pool2d(mc.tensor(x), **window, return_indices=True)
    pooled = untied_array(tuple(indices.shape), seed=1, dtype=np.float32)
    size = x.shape[2:]
    assert_torch_parity(
        lambda t: max_unpool2d(t, indices, **window, output_size=size),
        lambda t: TF.max_unpool2d(t, torch.tensor(indices.numpy()), **window, output_size=size),
        pooled)


@pytest.mark.parametrize("fn", [
    lambda t: max_pool2d(t, 3, 2, 1, dilation=(1, 2), ceil_mode=True),
    lambda t: avg_pool2d(t, (3, 2), (2, 1), (1, 1), ceil_mode=True, count_include_pad=False),
    lambda t: adaptive_avg_pool2d(t, (2, 3)),
    lambda t: adaptive_max_pool2d(t, (2, 3)),
    lambda t: global_avg_pool2d(t),
], ids=["max", "avg", "adaptive-avg", "adaptive-max", "global-avg"])
def test_pooling_gradcheck(fn):
    check_gradients(fn, untied_array((2, 2, 5, 7)))


def test_global_avg_pool2d_is_the_mean():
    x = untied_array((2, 3, 4, 5), dtype=np.float32)
    np.testing.assert_allclose(global_avg_pool2d(mc.tensor(x)).numpy(),
                               x.mean(axis=(2, 3), keepdims=True), rtol=1e-6)


def test_unbatched_input():
    x = untied_array((3, 6, 6), dtype=np.float32)
    assert_torch_parity(lambda t: max_pool2d(t, 2), lambda t: TF.max_pool2d(t, 2), x)


def _t(*shape):
    return mc.zeros(*shape)


@pytest.mark.parametrize("call, message", [
    (lambda: max_pool2d(_t(4, 4), 2), r"max_pool2d: expected input of shape \(N, C, H, W\)"),
    (lambda: max_pool2d(_t(1, 1, 4, 4), 2, stride=0), r"max_pool2d: stride must be positive"),
    (lambda: max_pool2d(_t(1, 1, 4, 4), 2, padding=2),
     r"max_pool2d: padding \(2, 2\) should be at most half of kernel_size \(2, 2\)"),
    (lambda: max_pool2d(_t(1, 1, 2, 2), 5),
     r"max_pool2d: output size \(0, 0\) is not positive \(input shape \(1, 1, 2, 2\)"),
    (lambda: avg_pool2d(_t(1, 1, 4, 4), 2, divisor_override=0),
     r"avg_pool2d: divisor_override must not be zero"),
    (lambda: adaptive_avg_pool2d(_t(1, 1, 4, 4), -1),
     r"adaptive_avg_pool2d: output_size must be non-negative"),
    (lambda: max_unpool2d(_t(1, 1, 2, 2), mc.zeros(1, 1, 3, 3, dtype=mc.int64), 2),
     r"max_unpool2d: indices shape \(1, 1, 3, 3\) does not match input shape \(1, 1, 2, 2\)"),
])
def test_bad_input_is_refused_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
