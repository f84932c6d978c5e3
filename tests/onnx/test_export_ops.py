"""mc.onnx.export, op by op: each converter's graph, run by onnxruntime, gives minicnn's
values (at opset 17, and at the opsets where the graph changes: 18 and 20)."""
import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from onnx_helpers import Wrapped, export_and_compare, op_types

nn = mc.nn


def _x(*shape, seed=0):
    return mc.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def _untied(*shape, seed=0):
    """A shuffled linspace: no ties for max pooling and argmax."""
    n = int(np.prod(shape))
    values = np.random.default_rng(seed).permutation(np.linspace(-3, 3, n))
    return mc.tensor(values.reshape(shape).astype(np.float32))


ELEMENTWISE = {
    "add_sub_mul_div": lambda m, x: (x + 1.5) * x - x / (x.abs() + 1),
    "pow_and_scalar_pow": lambda m, x: F.pow(x.abs() + 0.5, x) + x ** 3,
    "max_min_neg": lambda m, x: F.maximum(x, -x * 0.5) + F.minimum(x, x * 2) - (-x),
    "exp_log_sqrt_rsqrt": lambda m, x: x.exp() + (x.abs() + 1).log() + (x.abs() + 1).sqrt()
    + F.rsqrt(x.abs() + 1),
    "clamp_scalar_and_tensor": lambda m, x: x.clamp(-0.5, 0.7) + F.clamp(x, min=-0.2)
    + F.clamp(x, x * 0.1, x * 0.5 + 1),
    "activations": lambda m, x: F.leaky_relu(x, 0.2) + F.elu(x, 0.7) + F.silu(x)
    + F.relu6(x * 4) + F.sigmoid(x) + F.tanh(x) + F.hardtanh(x, -0.3, 0.4),
    "gelu_exact_and_tanh": lambda m, x: F.gelu(x) + F.gelu(x * 2, approximate="tanh"),
    "softmax_log_softmax": lambda m, x: F.softmax(x, dim=1) + F.log_softmax(x, dim=-1),
    "where_with_a_constant_mask": lambda m, x: F.where(m.mask, x, x * 3),
    "cast_and_clone": lambda m, x: (x * 3).to(mc.float64).to(mc.float32) + x.clone(),
    "reductions": lambda m, x: x.sum(dim=1, keepdim=True) + x.mean(dim=(1, 2), keepdim=True)
    + x.var(dim=2, keepdim=True) + x.std(dim=1, keepdim=True)
    + x.amax(dim=2, keepdim=True) + x.amin(dim=1, keepdim=True)
    + F.logsumexp(x, dim=2, keepdim=True),
    "max_over_a_dim_with_indices": lambda m, x: (x.max(dim=1).values,
                                                  x.min(dim=2, keepdim=True).indices),
    "argmax_and_full_reductions": lambda m, x: (x.argmax(dim=2), x.argmin(), x.abs().sum(),
                                                 x.max(), x.argmax(dim=1, keepdim=True)),
    "comparisons_and_isfinite": lambda m, x: (x > 0.5, x <= -1, x == x[:1], x != 0.2,
                                              x < x * 0.5, x >= 1, F.isfinite(x * m.special)),
    "a_mask_computed_from_the_input": lambda m, x: F.where(x > 0, x, x * 0.1),
}


@pytest.mark.parametrize("opset", [17, 18, 20])
@pytest.mark.parametrize("case", ELEMENTWISE)
def test_elementwise_and_reductions(tmp_path, case, opset):
    mask = mc.tensor(np.random.default_rng(1).random((3, 4, 5)) > 0.5)
    model = Wrapped(ELEMENTWISE[case])
    model.register_buffer("mask", mask)
    model.register_buffer("special", mc.tensor([np.inf, np.nan, 1.0, -np.inf, 2.0]))
    x = _untied(3, 4, 5) if "max" in case else _x(3, 4, 5)
    export_and_compare(model, x, tmp_path / "m.onnx", opset=opset)


def test_gelu_is_one_operator_from_opset_20(tmp_path):
    model = Wrapped(lambda m, x: F.gelu(x))
    assert op_types(mc.onnx.export(model, _x(2, 3), tmp_path / "a.onnx", opset=20)) == ["Gelu"]
    assert "Erf" in op_types(mc.onnx.export(model, _x(2, 3), tmp_path / "b.onnx", opset=17))


SHAPES = {
    "reshape_view_flatten": lambda m, x: x.reshape(3, 20).view(60).reshape(3, 4, 5).flatten(1),
    "permute_transpose_t": lambda m, x: x.permute(2, 0, 1).transpose(0, 2) + 0,
    "expand_repeat": lambda m, x: (x[:, :1].expand(3, 4, 5) + x.repeat(1, 1, 1),
                                   x.repeat(2, 1, 1, 2)),
    "cat_split_chunk": lambda m, x: (F.cat(list(x.split([1, 3], dim=1))[::-1], dim=1),
                                     F.cat(list(x.chunk(2, dim=2))[::-1], dim=2)),
    "unbind_stack_squeeze": lambda m, x: mc.stack(x.unbind(1), dim=0).unsqueeze(1).squeeze(1),
    "constant_pad_and_crop": lambda m, x: (F.pad(x, (1, 2, 0, 1), value=0.5),
                                           F.pad(F.pad(x, (2, 2, 1, 1)), (-1, -2, 0, -1))),
    "basic_indexing": lambda m, x: (x[1], x[:, -1], x[..., 1:4:2], x[None, :, 2], x[1:, ::-2],
                                    x[-2, None, 1:3, ..., 3], x[..., ::-1]),
    "index_select_and_array_index": lambda m, x: (x.index_select(1, m.rows),
                                                  x[:, :, m.cols]),
    "embedding": lambda m, x: m.embed(m.tokens) * x[:, :1, :1],
}


@pytest.mark.parametrize("case", SHAPES)
def test_shape_and_indexing_ops(tmp_path, case):
    model = Wrapped(SHAPES[case])
    model.register_buffer("rows", mc.tensor([3, 0, 0, 2]))
    model.register_buffer("cols", mc.tensor([[4, -1], [0, 2]]))
    model.register_buffer("tokens", mc.tensor([[1, 4, 0], [2, 2, 3], [0, 1, 1]]))
    model.embed = nn.Embedding(5, 5)
    export_and_compare(model, _x(3, 4, 5), tmp_path / "m.onnx")


def test_token_indices_as_the_input(tmp_path):
    """An embedding looked up by the model's (integer) input: the indices are the graph's
    input, not a constant."""
    model = Wrapped(lambda m, tokens: m.embed(tokens).sum(dim=1))
    model.embed = nn.Embedding(10, 4)
    proto = export_and_compare(model, mc.tensor([[1, 9, 3], [0, 0, 2]]), tmp_path / "m.onnx")
    gather = next(node for node in proto.graph.node if node.op_type == "Gather")
    assert list(gather.input) == ["embed.weight", "input"]


CONVOLUTIONS = {
    "im2col_stride_padding": dict(in_channels=3, out_channels=5, kernel_size=3, stride=2,
                                  padding=1),
    "dilation": dict(in_channels=3, out_channels=4, kernel_size=3, dilation=2, padding=2),
    "groups": dict(in_channels=4, out_channels=6, kernel_size=3, groups=2, padding=1),
    "depthwise": dict(in_channels=4, out_channels=4, kernel_size=3, groups=4, stride=2),
    "depthwise_multiplier": dict(in_channels=4, out_channels=8, kernel_size=3, groups=4),
    "pointwise_strided": dict(in_channels=3, out_channels=5, kernel_size=1, stride=2),
    "winograd_3x3": dict(in_channels=16, out_channels=8, kernel_size=3, padding=1),
    "rectangular_no_bias": dict(in_channels=3, out_channels=4, kernel_size=(2, 5),
                                padding=(1, 0), bias=False),
    "padding_same_even_kernel": dict(in_channels=3, out_channels=4, kernel_size=4,
                                     padding="same"),
    "stem_11x11_stride_4": dict(in_channels=3, out_channels=16, kernel_size=11, stride=4,
                                padding=2),
}


@pytest.mark.parametrize("case", CONVOLUTIONS)
def test_convolutions(tmp_path, case):
    mc.manual_seed(0)
    conv = nn.Conv2d(**CONVOLUTIONS[case])
    side = 40 if case == "stem_11x11_stride_4" else 11
    export_and_compare(conv, _x(2, conv.in_channels, side, side), tmp_path / "m.onnx")


@pytest.mark.parametrize("algorithm", ["naive", "im2col", "winograd_f2", "winograd_f4"])
def test_every_forced_convolution_algorithm_exports_as_one_conv(tmp_path, algorithm):
    mc.manual_seed(0)
    conv = nn.Conv2d(16, 8, 3, padding=1)
    x = _x(2, 16, 9, 9)
    with mc.conv_algorithm(algorithm), mc.no_grad():          # winograd_f4: forward only
        assert F.conv_algorithm(x, conv.weight, padding=1) == algorithm
        proto = export_and_compare(conv, x, tmp_path / "m.onnx")
    assert op_types(proto) == ["Conv"]


@pytest.mark.parametrize("kwargs", [dict(stride=2, padding=1, output_padding=1),
                                    dict(stride=3, dilation=2, groups=2),
                                    dict(stride=1, padding=0, bias=False)])
def test_transposed_convolution(tmp_path, kwargs):
    mc.manual_seed(0)
    conv = nn.ConvTranspose2d(4, 6, 3, **kwargs)
    export_and_compare(conv, _x(2, 4, 5, 6), tmp_path / "m.onnx")


POOLS = {
    "max_ceil_mode": nn.MaxPool2d(3, 2, ceil_mode=True),
    "max_ceil_mode_padding": nn.MaxPool2d(3, 2, padding=1, ceil_mode=True),
    "max_dilation": nn.MaxPool2d(2, 1, dilation=2),
    "max_stride_above_kernel_ceil": nn.MaxPool2d(2, 4, ceil_mode=True),
    "avg_padding_counted": nn.AvgPool2d(3, 2, padding=1),
    "avg_padding_not_counted": nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
    "avg_ceil_counted": nn.AvgPool2d(3, 2, padding=1, ceil_mode=True),
    "avg_ceil_not_counted": nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False),
    "avg_divisor_override": nn.AvgPool2d(2, 2, divisor_override=3),
    "adaptive_avg_uneven": nn.AdaptiveAvgPool2d((3, 4)),
    "adaptive_avg_even": nn.AdaptiveAvgPool2d((4, 3)),
    "adaptive_avg_global": nn.AdaptiveAvgPool2d(1),
    "adaptive_max_uneven": nn.AdaptiveMaxPool2d((3, 5)),
    "adaptive_max_even": nn.AdaptiveMaxPool2d((2, 3)),
}


@pytest.mark.parametrize("case", POOLS)
def test_pooling(tmp_path, case):
    export_and_compare(POOLS[case], _untied(2, 3, 8, 9), tmp_path / "m.onnx")


def _batch_norm(cls, features, affine=True, track_running_stats=True):
    mc.manual_seed(0)
    layer = cls(features, affine=affine, track_running_stats=track_running_stats)
    rng = np.random.default_rng(0)
    if track_running_stats:
        layer.running_mean.data[...] = rng.normal(0, 0.5, features)
        layer.running_var.data[...] = rng.uniform(0.5, 2, features)
    if affine:
        layer.weight.data[...] = rng.uniform(0.5, 2, features)
        layer.bias.data[...] = rng.normal(0, 0.5, features)
    return layer


NORMS = {
    "batch_norm_2d": (lambda: _batch_norm(nn.BatchNorm2d, 3), (2, 3, 4, 5)),
    "batch_norm_not_affine": (lambda: _batch_norm(nn.BatchNorm2d, 3, affine=False),
                              (2, 3, 4, 5)),
    "batch_norm_1d_on_features": (lambda: _batch_norm(nn.BatchNorm1d, 3), (4, 3)),
    "batch_norm_batch_statistics": (
        lambda: _batch_norm(nn.BatchNorm2d, 3, track_running_stats=False), (2, 3, 4, 5)),
    "layer_norm_two_axes": (lambda: nn.LayerNorm((4, 5), eps=1e-6), (2, 3, 4, 5)),
    "layer_norm_without_affine": (lambda: nn.LayerNorm(5, elementwise_affine=False),
                                  (2, 3, 5)),
    "group_norm": (lambda: nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    "lrn_odd_window": (lambda: nn.LocalResponseNorm(5, alpha=1.0, beta=0.75, k=2.0),
                       (2, 7, 3, 3)),
    "lrn_even_window": (lambda: nn.LocalResponseNorm(4, alpha=1.0, beta=0.75, k=2.0),
                        (2, 7, 3, 3)),
    "lrn_3d_input": (lambda: nn.LocalResponseNorm(3, alpha=0.5), (2, 6, 5)),
}


@pytest.mark.parametrize("case", NORMS)
def test_normalizations(tmp_path, case):
    make, shape = NORMS[case]
    export_and_compare(make(), _x(*shape), tmp_path / "m.onnx")


def test_lrn_odd_window_is_the_lrn_operator(tmp_path):
    proto = mc.onnx.export(nn.LocalResponseNorm(5), _x(1, 6, 2, 2), tmp_path / "m.onnx")
    assert op_types(proto) == ["LRN"]


def test_linear_matmul_and_interpolate(tmp_path):
    mc.manual_seed(0)
    model = Wrapped(lambda m, x: (m.fc(x), m.fc(x.flatten(0, 1)), x @ x.transpose(1, 2),
                                  F.linear(x, m.fc.weight),
                                  F.interpolate(x.unsqueeze(1), size=(7, 9), mode="bilinear"),
                                  F.interpolate(x.unsqueeze(1), scale_factor=2),
                                  F.interpolate(x.unsqueeze(1), size=(3, 2), mode="bilinear",
                                                align_corners=True)))
    model.fc = nn.Linear(5, 5)
    export_and_compare(model, _x(2, 4, 5), tmp_path / "m.onnx")


ATTENTION = {
    "plain": lambda m, q, k, v: F.scaled_dot_product_attention(q, k, v),
    "causal": lambda m, q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
    "bool_mask_with_an_empty_row": lambda m, q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=m.allowed),
    "float_mask_and_scale": lambda m, q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=m.bias, scale=0.3),
}


@pytest.mark.parametrize("case", ATTENTION)
def test_scaled_dot_product_attention(tmp_path, case):
    model = Wrapped(ATTENTION[case])
    allowed = np.random.default_rng(0).random((4, 4)) > 0.4
    allowed[1] = False
    model.register_buffer("allowed", mc.tensor(allowed))
    model.register_buffer("bias", _x(4, 4, seed=3))
    export_and_compare(model, (_x(2, 3, 4, 8), _x(2, 3, 4, 8, seed=1), _x(2, 3, 4, 6, seed=2)),
                       tmp_path / "m.onnx")


def test_multihead_attention_with_weights_and_padding_mask(tmp_path):
    mc.manual_seed(0)
    attention = nn.MultiheadAttention(8, 2, kdim=6, vdim=5)
    padding = mc.tensor(np.array([[False, False, True], [False, True, True]]))
    model = Wrapped(lambda m, q, k, v: m.attention(q, k, v, key_padding_mask=m.padding),
                    attention=attention)
    model.register_buffer("padding", padding)
    export_and_compare(model, (_x(4, 2, 8), _x(3, 2, 6, seed=1), _x(3, 2, 5, seed=2)),
                       tmp_path / "m.onnx")


def _in_place_arithmetic(m, x):
    """Every form of in-place arithmetic a forward can hold, on op results: the operators,
    the methods with alpha, a broadcast tensor operand and a Python number."""
    out = m.a(x)
    out += m.b(x)
    out *= 2
    out.sub_(x, alpha=0.5)
    out /= 3
    out.add_(m.b.bias, alpha=2)
    out -= 1
    return out.mul_(0.5).div_(x.abs() + 1)


def test_in_place_arithmetic_is_recorded(tmp_path):
    """x += y (ResNet's shortcut, as torchvision writes it) and add_, sub_, mul_, div_ run as
    their ops with inplace=True while the trace records, so the graph holds them."""
    model = Wrapped(_in_place_arithmetic, a=nn.Linear(4, 4), b=nn.Linear(4, 4))
    proto = export_and_compare(model, mc.randn(3, 4), tmp_path / "m.onnx")
    assert op_types(proto).count("Add") >= 2 and "Div" in op_types(proto)
