"""conv2d's space-to-depth path: strided convolutions whose window spans three strides run,
in a forward without gradients, as stride-1 3×3 ones over blocks (Winograd F(4×4, 3×3)).
The rearrangement places every pixel where its definition says; the path is taken only
where it applies and equals PyTorch's convolution in both forms of the kernels (forced under
set_kernels("reference"), whose own rule takes im2col)."""
import numpy as np
import pytest
from conftest import random_array
from hypothesis import given, settings
from hypothesis import strategies as st

import minicnn as mc
from minicnn.functional import conv_space_to_depth as blocked_module
from minicnn.functional.conv import conv2d, set_workspace_limit
from minicnn.functional.conv_space_to_depth import space_to_depth


@st.composite
def _placements(draw):
    """An array, a block, and an offset and grid size (a multiple of the block) that may
    leave zeros on any side or cut the array."""
    N, C, H, W = (draw(st.integers(1, 2)), draw(st.integers(1, 3)),
                  draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    block = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    size = tuple(b * draw(st.integers(1, 4)) for b in block)
    offset = tuple(draw(st.integers(0, s - 1)) for s in size)
    return random_array((N, C, H, W), draw(st.integers(0, 99)), np.float32), block, offset, size


@settings(max_examples=60, deadline=None)
@given(_placements())
def test_space_to_depth_puts_each_grid_pixel_in_its_block_channel(case):
    a, (bh, bw), (oy, ox), (sh, sw) = case
    N, C, H, W = a.shape
    out = space_to_depth(a, (bh, bw), (oy, ox), (sh, sw))
    assert out.shape == (N, C * bh * bw, sh // bh, sw // bw) and out.dtype == a.dtype
    grid = np.zeros((N, C, sh, sw), a.dtype)
    for y in range(min(H, sh - oy)):
        for x in range(min(W, sw - ox)):
            grid[:, :, y + oy, x + ox] = a[:, :, y, x]
    for c in range(C):
        for r in range(bh):
            for s in range(bw):
                np.testing.assert_array_equal(out[:, c * bh * bw + r * bw + s],
                                              grid[:, c, r::bh, s::bw])


def _calls(monkeypatch):
    """The strides conv2d_space_to_depth is called with, recorded as it runs."""
    calls, original = [], blocked_module.conv2d_space_to_depth

    def recording(x, w, b, stride, padding):
        calls.append(stride)
        return original(x, w, b, stride, padding)

    monkeypatch.setattr(blocked_module, "conv2d_space_to_depth", recording)
    return calls


def test_taken_without_gradients_where_the_window_spans_three_strides(monkeypatch):
    calls = _calls(monkeypatch)
    x = mc.tensor(random_array((1, 3, 63, 63), 0, np.float32))          # 15² output
    w = mc.tensor(random_array((8, 3, 11, 11), 1, np.float32), requires_grad=True)
    with mc.no_grad():
        conv2d(x, w, stride=4, padding=2)                               # AlexNet's stem
        conv2d(x, w[:, :, :7, :7], stride=2, padding=3)                 # 4 blocks wide
        conv2d(x, w[:, :, :5, :5], stride=2, padding=2)                 # 3 blocks, 12 channels
        conv2d(x[:, :, :27, :27], w, stride=4, padding=2)               # 7²: too few tiles
        conv2d(x, w[:, :, :9, :9], stride=4)                            # 3 blocks, 48 channels
        conv2d(x, w[:, :, :9, :9], stride=3, dilation=2)                # dilated
        conv2d(mc.tensor(random_array((1, 6, 63, 63), 2, np.float32)), w, stride=4,
               padding=2, groups=2)
    conv2d(x, w, stride=4, padding=2)                                   # w wants a gradient
    assert calls == [(4, 4), (4, 4)]


@pytest.mark.parametrize("shape, out_channels, kernel, stride, padding, limit", [
    ((2, 3, 71, 67), 10, (11, 11), (4, 4), (2, 2), None),       # AlexNet's stem, odd sizes
    ((3, 3, 63, 64), 7, (11, 11), (4, 4), (0, 1), 36 * 48 * 16 * 4),  # chunks, column cut
    ((1, 4, 40, 50), 5, (5, 8), (2, 3), (1, 3), None),          # unequal strides and sides
    ((2, 2, 61, 61), 6, (12, 12), (4, 4), (5, 5), None),        # filters fill the blocks
])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 1e-4)])
@pytest.mark.parametrize("form", ["auto", "reference"])
def test_equals_torch(shape, out_channels, kernel, stride, padding, limit, dtype, rtol, form,
                      monkeypatch):
    torch = pytest.importorskip("torch")
    calls = _calls(monkeypatch)
    x, w, b = (random_array(shape, 0, dtype),
               random_array((out_channels, shape[1]) + kernel, 1, dtype),
               random_array((out_channels,), 2, dtype))
    if limit:
        set_workspace_limit(limit)
    try:
        algorithm = "space_to_depth" if form == "reference" else "auto"
        with mc.no_grad(), mc.set_kernels(form), mc.conv_algorithm(algorithm):
            out = conv2d(mc.tensor(x), mc.tensor(w), mc.tensor(b), stride=stride,
                         padding=padding)
    finally:
        set_workspace_limit(256 * 2 ** 20)
    assert calls == [stride] and out.dtype == mc.tensor(x).dtype
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b),
                                          stride=stride, padding=padding).numpy()
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=rtol,
                               atol=rtol * np.abs(expected).max())
