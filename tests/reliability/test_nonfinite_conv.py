"""inf, -inf, NaN and ±1e38 through every conv2d path, against PyTorch's convolution on the
CPU: hypothesis places one to three such values in the input, the weights or dY, and the
output and the gradients must have PyTorch's NaN, +inf and -inf pattern and its finite
values. The Winograd paths (F(2×2, 3×3), F(4×4, 3×3), space-to-depth) must not carry a
value into outputs whose window does not hold it; the others must keep it where it is.

PyTorch is run in float64 on the same float32 values: its float32 kernels (oneDNN) leave
out some products with zero padding or with the gaps of a stride, and so disagree with its
own float64 convolution on where 0 · inf makes a NaN; the float64 one forms every product
of the definition, zero padding included, as im2col does. The values keep every sum below
float32's largest value, so both precisions agree on everything else.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minicnn as mc
from minicnn.functional import conv_space_to_depth, conv_winograd
from minicnn.functional.conv import conv2d

torch = pytest.importorskip("torch")
# NumPy's notice when a product forms inf − inf or 0 · inf, as these tests make it do
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")

BAD_VALUES = (np.inf, -np.inf, np.nan, 1e38, -1e38)
# name: input shape, weight shape, stride, padding, groups. Each shape takes the path it is
# named after (test_each_case_takes_its_path); the Winograd F(4×4, 3×3), F(2×2, 5×5) and
# space-to-depth paths serve only forwards without gradients.
CASES = {
    "winograd2": ((7, 16, 7, 9), (5, 16, 3, 3), 1, 1, 1),            # 128 tiles at least
    "winograd2_groups": ((15, 32, 6, 5), (4, 16, 3, 3), 1, 1, 2),
    "winograd4": ((2, 16, 16, 19), (5, 16, 3, 3), 1, 1, 1),
    "winograd5": ((1, 16, 14, 15), (5, 16, 5, 5), 1, 2, 1),
    "space_to_depth": ((1, 4, 35, 35), (6, 4, 5, 5), 2, 1, 1),
    "im2col": ((2, 3, 7, 8), (33, 3, 3, 3), 1, 1, 1),
    "im2col_strided": ((2, 16, 9, 9), (4, 16, 3, 3), 2, 1, 1),
    "pointwise": ((2, 8, 8, 8), (6, 8, 1, 1), 1, 0, 1),
    "depthwise": ((2, 4, 7, 7), (8, 1, 3, 3), 1, 1, 4),
    "grouped": ((2, 8, 7, 6), (12, 2, 3, 3), 2, 1, 4),
}
FORWARD_ONLY = ("winograd4", "winograd5", "space_to_depth")
GRADIENT_CASES = [name for name in CASES if name not in FORWARD_ONLY]
NODES = {"winograd2": "Conv2dWinograd", "im2col": "Conv2dGemm", "pointwise": "Conv2dPointwise"}


def _arrays(case, seed):
    """x, w, b of the case (float32), and a dY for its output: magnitudes at most 1 (0.5 for
    w), so that sums of up to three ±1e38 products stay below float32's largest value in
    any order of addition."""
    x_shape, w_shape = CASES[case][:2]
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, x_shape).astype(np.float32)
    w = rng.uniform(-0.5, 0.5, w_shape).astype(np.float32)
    b = rng.uniform(-1, 1, w_shape[0]).astype(np.float32)
    return x, w, b


def _place_bad_values(data, a):
    """Set one to three elements of `a`, drawn with their values from BAD_VALUES."""
    spots = data.draw(st.lists(st.tuples(st.integers(0, a.size - 1), st.sampled_from(BAD_VALUES)),
                               min_size=1, max_size=3), label="bad values")
    for index, value in spots:
        a.flat[index] = value


def _torch_conv(x, w, b, case, padding, dy=None):
    """PyTorch's output and, with dy, (dX, dW, db), computed in float64 and returned in the
    dtype of x."""
    _, _, stride, _, groups = CASES[case]
    tx, tw, tb = (torch.tensor(a, dtype=torch.float64, requires_grad=dy is not None)
                  for a in (x, w, b))
    y = torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=padding, groups=groups)
    out = y.detach().numpy().astype(x.dtype)
    if dy is None:
        return out, None
    y.backward(torch.tensor(dy, dtype=torch.float64))
    return out, tuple(t.grad.numpy().astype(x.dtype) for t in (tx, tw, tb))


def _scales(x, w, b, case, padding, dy=None):
    """The sums of |terms| behind every output and gradient, in float64 (non-finite inputs
    counted as 0: what they reach is compared by pattern): the error allowed scales with
    them."""
    def in_float64(a):
        return None if a is None else np.where(np.isfinite(a), np.abs(a), 0).astype(np.float64)

    return _torch_conv(*map(in_float64, (x, w, b)), case, padding, in_float64(dy))


def assert_like_torch(got, expected, scale, what):
    """The NaN, +inf and -inf of `got` where PyTorch has them, and its finite values within
    float32 rounding of sums of that scale."""
    got = np.asarray(got)
    assert got.shape == expected.shape and got.dtype == expected.dtype, what
    for name, mask in (("NaN", np.isnan), ("+inf", np.isposinf), ("-inf", np.isneginf)):
        np.testing.assert_array_equal(mask(got), mask(expected), err_msg=f"{what}: {name}")
    finite = np.isfinite(expected)
    error = np.abs(got[finite].astype(np.float64) - expected[finite])
    np.testing.assert_array_less(error, 1e-4 * scale[finite] + 1e-6, err_msg=what)


def _minicnn_conv(x, w, b, case, padding, dy=None):
    """minicnn's output and, with dy, (dX, dW, db)."""
    _, _, stride, _, groups = CASES[case]
    tensors = [mc.tensor(a, requires_grad=dy is not None) for a in (x, w, b)]
    if dy is None:
        with mc.no_grad():
            return conv2d(*tensors, stride=stride, padding=padding, groups=groups).numpy(), None
    y = conv2d(*tensors, stride=stride, padding=padding, groups=groups)
    y.backward(mc.tensor(dy))
    return y.detach().numpy(), tuple(t.grad.numpy() for t in tensors)


@pytest.mark.parametrize("where", ["input", "weight"])
@pytest.mark.parametrize("case", CASES)
@given(data=st.data())
def test_forward_without_gradients_matches_torch(case, where, data):
    padding = CASES[case][3]
    x, w, b = _arrays(case, data.draw(st.integers(0, 2 ** 16), label="seed"))
    _place_bad_values(data, x if where == "input" else w)
    got, _ = _minicnn_conv(x, w, b, case, padding)
    expected, _ = _torch_conv(x, w, b, case, padding)
    scale, _ = _scales(x, w, b, case, padding)
    assert_like_torch(got, expected, scale, f"{case} output")


@pytest.mark.parametrize("where", ["input", "weight", "grad"])
@pytest.mark.parametrize("case", GRADIENT_CASES)
@given(data=st.data())
def test_output_and_gradients_match_torch(case, where, data):
    padding = CASES[case][3]
    x, w, b = _arrays(case, data.draw(st.integers(0, 2 ** 16), label="seed"))
    out_shape = _torch_conv(x, w, b, case, padding)[0].shape
    dy = np.random.default_rng(1).uniform(-1, 1, out_shape).astype(np.float32)
    _place_bad_values(data, {"input": x, "weight": w, "grad": dy}[where])
    got, got_grads = _minicnn_conv(x, w, b, case, padding, dy)
    expected, expected_grads = _torch_conv(x, w, b, case, padding, dy)
    scale, scale_grads = _scales(x, w, b, case, padding, dy)
    assert_like_torch(got, expected, scale, f"{case} output")
    for name, *arrays in zip(("dX", "dW", "db"), got_grads, expected_grads, scale_grads):
        assert_like_torch(*arrays, f"{case} {name}")


@pytest.fixture
def winograd_runs(monkeypatch):
    """The Winograd paths conv2d runs, recorded as they run: "winograd2", "winograd4" (the
    tile size of conv_winograd._convolve on a 3×3 window), "winograd5" (a 5×5 window) or
    "space_to_depth"."""
    runs = []
    convolve, blocked = conv_winograd._convolve, conv_space_to_depth.conv2d_space_to_depth

    def recording_convolve(x, w, b, padding, groups, tile, *rest, **options):
        runs.append("winograd5" if w.shape[2] == 5 else f"winograd{tile}")
        return convolve(x, w, b, padding, groups, tile, *rest, **options)

    def recording_blocked(*args):
        runs.append("space_to_depth")
        return blocked(*args)

    monkeypatch.setattr(conv_winograd, "_convolve", recording_convolve)
    monkeypatch.setattr(conv_space_to_depth, "conv2d_space_to_depth", recording_blocked)
    return runs


def _route(case, padding, x, w, winograd_runs):
    """The path of the case's forward without gradients: the Winograd path it runs, else the
    path named by the node of a forward with gradients."""
    _, _, stride, _, groups = CASES[case]
    winograd_runs.clear()
    with mc.no_grad():
        conv2d(mc.tensor(x), mc.tensor(w), stride=stride, padding=padding, groups=groups)
    if winograd_runs:
        return winograd_runs[0]
    y = conv2d(mc.tensor(x, requires_grad=True), mc.tensor(w), stride=stride, padding=padding,
               groups=groups)
    node = type(y.grad_fn).__name__
    if node == "DirectConv2d":                          # depthwise or grouped, its first param
        return y.grad_fn.params[0]
    return {node: route for route, node in NODES.items()}[node]


@pytest.mark.parametrize("where", ["input", "weight"])
@pytest.mark.parametrize("case", CASES)
def test_each_case_takes_its_path_and_bad_values_take_im2col(case, where, winograd_runs):
    padding = CASES[case][3]
    x, w, _ = _arrays(case, 0)
    path = case.removesuffix("_groups").removesuffix("_strided")
    assert _route(case, padding, x, w, winograd_runs) == path
    (x if where == "input" else w).flat[7] = np.inf
    expected = "im2col" if path in ("winograd2",) + FORWARD_ONLY else path
    assert _route(case, padding, x, w, winograd_runs) == expected
