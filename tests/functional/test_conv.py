"""conv2d and conv_transpose2d: gradients, PyTorch parity over drawn configurations, errors."""
import numpy as np
import pytest
from conftest import assert_torch_parity, check_gradients, random_array
from hypothesis import given, settings, strategies as st

import minicnn as mc
from minicnn.functional.conv import conv2d, conv_transpose2d, set_workspace_limit

torch = pytest.importorskip("torch")
TF = torch.nn.functional


@st.composite
def conv_configs(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    depthwise = draw(st.booleans()) and groups > 1
    cg = 1 if depthwise else draw(st.integers(1, 3))
    in_ch = cg * groups
    out_ch = groups * draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))       # may exceed the kernel
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, kh // 2 + 1)), draw(st.integers(0, kw // 2 + 1)))
    span = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    h = draw(st.integers(max(1, span[0] - 2 * padding[0]), 12))
    w = draw(st.integers(max(1, span[1] - 2 * padding[1]), 12))
    n = draw(st.integers(1, 3))
    bias = draw(st.booleans())
    return dict(x=(n, in_ch, h, w), w=(out_ch, in_ch // groups, kh, kw), bias=bias,
                stride=stride, padding=padding, dilation=dilation, groups=groups)


def _arrays(cfg, dtype=np.float32, transpose=False):
    w_shape = cfg["w"]
    if transpose:  # (C_in, C_out / groups, kh, kw)
        w_shape = (cfg["x"][1], w_shape[0] // cfg["groups"]) + w_shape[2:]
    out_ch = w_shape[1] * cfg["groups"] if transpose else w_shape[0]
    arrays = [random_array(cfg["x"], 1, dtype), random_array(w_shape, 2, dtype)]
    arrays.append(random_array((out_ch,), 3, dtype) if cfg["bias"] else None)
    return arrays


def _kwargs(cfg):
    return {k: cfg[k] for k in ("stride", "padding", "dilation", "groups")}


@settings(max_examples=200, derandomize=True)
@given(conv_configs())
def test_conv2d_matches_torch(cfg):
    x, w, b = _arrays(cfg)
    kw = _kwargs(cfg)
    assert_torch_parity(lambda x, w, b: conv2d(x, w, b, **kw),
                        lambda x, w, b: TF.conv2d(x, w, b, **kw), x, w, b,
                        rtol=1e-4, atol=1e-4)


@st.composite
def transpose_configs(draw):
    cfg = draw(conv_configs())
    stride, dilation = cfg["stride"], cfg["dilation"]
    cfg["output_padding"] = tuple(draw(st.integers(0, max(s, d) - 1))
                                  for s, d in zip(stride, dilation))
    kh, kw = cfg["w"][2:]
    h, w = cfg["x"][2:]
    out = [(n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
           zip((h, w), stride, cfg["padding"], dilation, (kh, kw), cfg["output_padding"])]
    if min(out) <= 0:
        cfg["padding"] = (0, 0)
    return cfg


@settings(max_examples=200, derandomize=True)
@given(transpose_configs())
def test_conv_transpose2d_matches_torch(cfg):
    x, w, b = _arrays(cfg, transpose=True)
    kw = dict(_kwargs(cfg), output_padding=cfg["output_padding"])
    assert_torch_parity(lambda x, w, b: conv_transpose2d(x, w, b, **kw),
                        lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw), x, w, b,
                        rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("cfg", [
    dict(x=(2, 2, 5, 4), w=(3, 2, 3, 2), bias=True, stride=(1, 1), padding=(1, 0),
         dilation=(1, 1), groups=1),
    dict(x=(1, 4, 6, 5), w=(4, 2, 2, 3), bias=True, stride=(2, 1), padding=(1, 1),
         dilation=(2, 1), groups=2),
    dict(x=(2, 3, 5, 5), w=(6, 1, 3, 3), bias=False, stride=(1, 2), padding=(1, 1),
         dilation=(1, 1), groups=3),
    dict(x=(2, 3, 4, 4), w=(2, 3, 1, 1), bias=True, stride=(1, 1), padding=(0, 0),
         dilation=(1, 1), groups=1),
], ids=["plain", "grouped-dilated", "depthwise-multiplier", "pointwise"])
def test_conv2d_gradcheck(cfg):
    x, w, b = _arrays(cfg, np.float64)
    arrays = [a for a in (x, w, b) if a is not None]
    check_gradients(lambda *t: conv2d(*t, **_kwargs(cfg)), *arrays)


def test_conv_transpose2d_gradcheck():
    x, w, b = random_array((1, 4, 3, 4), 0), random_array((4, 3, 3, 2), 1), random_array((6,), 2)
    check_gradients(lambda x, w, b: conv_transpose2d(x, w, b, stride=2, padding=1,
                                                     output_padding=1, groups=2, dilation=1),
                    x, w, b)


def test_conv2d_direction_gradcheck_on_a_larger_input():
    x, w = random_array((2, 8, 12, 12), 0), random_array((16, 8, 3, 3), 1)
    check_gradients(lambda x, w: conv2d(x, w, stride=2, padding=1), x, w, mode="direction")


@pytest.mark.parametrize("kernel, dilation", [((3, 3), 1), ((1, 7), 1), ((7, 1), 1),
                                              ((4, 4), 1), ((2, 3), (2, 1))])
def test_same_padding_matches_torch(kernel, dilation):
    x, w = random_array((2, 3, 9, 8), 0, np.float32), random_array((4, 3) + kernel, 1, np.float32)
    assert_torch_parity(lambda x, w: conv2d(x, w, padding="same", dilation=dilation),
                        lambda x, w: TF.conv2d(x, w, padding="same", dilation=dilation), x, w,
                        atol=1e-4)


def test_valid_padding_and_unbatched_input():
    x, w = random_array((3, 6, 6), 0, np.float32), random_array((2, 3, 3, 3), 1, np.float32)
    assert_torch_parity(lambda x, w: conv2d(x, w, padding="valid"),
                        lambda x, w: TF.conv2d(x, w, padding="valid"), x, w, atol=1e-4)


def test_workspace_limit_chunks_the_batch_without_changing_results():
    x, w = random_array((5, 3, 8, 8), 0, np.float32), random_array((4, 3, 3, 3), 1, np.float32)
    whole = conv2d(mc.tensor(x), mc.tensor(w), padding=1).numpy()
    set_workspace_limit(3 * 9 * 64 * 4 * 2)  # two images per chunk
    try:
        chunked = conv2d(mc.tensor(x), mc.tensor(w), padding=1).numpy()
    finally:
        set_workspace_limit(256 * 2 ** 20)
    np.testing.assert_allclose(chunked, whole, rtol=1e-6)
    with pytest.raises(ValueError, match="set_workspace_limit: the limit must be positive"):
        set_workspace_limit(0)


def _grads_on_threads(threads, op, arrays, **kw):
    mc.set_num_threads(threads)
    x, w, b = (mc.tensor(a, requires_grad=True) for a in arrays)
    y = op(x, w, b, **kw)
    (y * mc.tensor(random_array(y.shape, 3, np.float32))).sum().backward()
    return [y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()]


@pytest.mark.parametrize("op, w_shape, kw", [
    (conv2d, (6, 2, 3, 2), dict(stride=2, padding=1, groups=2)),
    (conv_transpose2d, (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1, groups=2)),
])
def test_im2col_chunks_on_threads_equal_one_thread(op, w_shape, kw):
    """One image a chunk, seven chunks over three threads, each thread summing its own
    chunks' filter gradients."""
    arrays = (random_array((7, 4, 9, 8), 0, np.float32), random_array(w_shape, 1, np.float32),
              random_array((w_shape[0] if op is conv2d else w_shape[1] * 2,), 2, np.float32))
    before = mc.get_num_threads()
    set_workspace_limit(1)
    try:
        one, split = (_grads_on_threads(n, op, arrays, **kw) for n in (1, 3))
    finally:
        set_workspace_limit(256 * 2 ** 20)
        mc.set_num_threads(before)
    for a, b in zip(one, split):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5 * np.abs(a).max())


@pytest.mark.parametrize("threads", [1, 3])
def test_one_image_chunks_of_wide_outputs_match_torch(threads):
    """Outputs of ONE_IMAGE_COLUMNS pixels or more: a forward GEMM per image, on threads."""
    from minicnn.functional.conv import ONE_IMAGE_COLUMNS

    x, w = random_array((5, 4, 18, 17), 0, np.float32), random_array((6, 2, 3, 2), 1, np.float32)
    b = random_array((6,), 2, np.float32)
    assert 18 * 18 >= ONE_IMAGE_COLUMNS
    before = mc.get_num_threads()
    mc.set_num_threads(threads)
    try:
        assert_torch_parity(lambda *t: conv2d(*t, padding=1, groups=2),
                            lambda *t: TF.conv2d(*t, padding=1, groups=2), x, w, b,
                            rtol=1e-4, atol=1e-4)
    finally:
        mc.set_num_threads(before)


def _t(*shape, dtype=mc.float32):
    return mc.zeros(*shape, dtype=dtype)


@pytest.mark.parametrize("call, error, message", [
    (lambda: conv2d(_t(1, 3, 8, 8), _t(8, 4, 3, 3)), ValueError,
     r"conv2d: input has 3 channels but weight expects 4 \(weight shape \(8, 4, 3, 3\)"),
    (lambda: conv2d(_t(8, 8), _t(8, 4, 3, 3)), ValueError,
     r"conv2d: expected input of shape \(N, C, H, W\) or \(C, H, W\), got shape \(8, 8\)"),
    (lambda: conv2d(_t(1, 4, 8, 8), _t(6, 2, 3, 3), groups=3), ValueError,
     r"conv2d: input channels 4 are not divisible by groups=3"),
    (lambda: conv2d(_t(1, 4, 8, 8), _t(3, 2, 3, 3), groups=2), ValueError,
     r"conv2d: out channels 3 are not divisible by groups=2"),
    (lambda: conv2d(_t(1, 3, 4, 4), _t(2, 3, 7, 7), padding=1), ValueError,
     r"conv2d: kernel of size \(7, 7\) .* is larger than the padded input \(6, 6\)"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(2, 3, 3, 3), stride=0), ValueError,
     r"conv2d: stride must be positive, got 0"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(2, 3, 3, 3), stride=-1), ValueError,
     r"conv2d: stride must be positive"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(2, 3, 3, 3), padding=-1), ValueError,
     r"conv2d: padding must be non-negative"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(2, 3, 3, 3), padding="same", stride=2), ValueError,
     r"conv2d: padding='same' needs stride 1"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(2, 3, 3, 3), _t(3)), ValueError,
     r"conv2d: bias must have shape \(2,\), got \(3,\)"),
    (lambda: conv2d(_t(1, 3, 8, 8), _t(2, 3, 3, 3, dtype=mc.float64)), TypeError,
     r"conv2d: input dtype float32 does not match weight dtype float64"),
    (lambda: conv_transpose2d(_t(1, 3, 4, 4), _t(4, 2, 3, 3)), ValueError,
     r"conv_transpose2d: input has 3 channels but weight expects 4"),
    (lambda: conv_transpose2d(_t(1, 3, 4, 4), _t(3, 2, 3, 3), stride=2, output_padding=2),
     ValueError, r"conv_transpose2d: output_padding \(2, 2\) must be smaller"),
    (lambda: conv_transpose2d(_t(1, 3, 1, 1), _t(3, 2, 1, 1), padding=1), ValueError,
     r"conv_transpose2d: output size \(-1, -1\) is not positive"),
])
def test_bad_input_is_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()
