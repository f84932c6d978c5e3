"""conv2d's Winograd path (stride-1 3×3): taken where it applies, equal to the im2col path
in float32 (batch chunks, odd sizes, padding 0-2, groups); without gradients, F(4×4, 3×3)
and, for 5×5 windows, F(2×2, 5×5) on maps with enough tiles, equal to PyTorch. Its gradcheck, PyTorch parity and reference
kernels: op_table.py's conv2d-winograd-path and conv2d-3x3-winograd rows."""
import numpy as np
import pytest
from conftest import random_array

import minicnn as mc
from minicnn.functional.conv import Conv2dGemm, Conv2dWinograd, conv2d, set_workspace_limit
from minicnn.functional import conv_winograd
from minicnn.functional.conv_winograd import (MIN_BATCH_TILES, MIN_CHANNELS, MIN_TILES4,
                                              MIN_TILES5, winograd4_beats_winograd2,
                                              winograd_batch_pays, winograd5_pays)


def _node(out):
    return type(out.grad_fn).__name__


def test_winograd_is_taken_for_dense_stride_one_3x3_only():
    C, N = MIN_CHANNELS, -(-MIN_BATCH_TILES // 9)       # 9 tiles an image at 6×6, padding 1
    x = mc.tensor(random_array((N, C, 6, 6), 0, np.float32), requires_grad=True)
    w3 = mc.tensor(random_array((4, C, 3, 3), 1, np.float32), requires_grad=True)
    assert _node(conv2d(x, w3, padding=1)) == "Conv2dWinograd"
    assert _node(conv2d(x[:N - 1], w3, padding=1)) == "Conv2dGemm"     # too few tiles
    assert _node(conv2d(x, w3, stride=2, padding=1)) == "Conv2dGemm"
    assert _node(conv2d(x, w3, dilation=2, padding=2)) == "Conv2dGemm"
    grouped = mc.tensor(random_array((4, C // 2, 3, 3), 2, np.float32), requires_grad=True)
    assert _node(conv2d(x, grouped, groups=2)) == "DirectConv2d"       # 8 channels a group
    wide = mc.tensor(random_array((N, 2 * C, 6, 6), 4, np.float32), requires_grad=True)
    assert _node(conv2d(wide, w3.repeat(2, 1, 1, 1), padding=1, groups=2)) == "Conv2dWinograd"
    few = mc.tensor(random_array((N, C - 1, 6, 6), 3, np.float32), requires_grad=True)
    assert _node(conv2d(few, w3[:, 1:], padding=1)) == "DirectConv2d"     # few channels in, out


@pytest.mark.parametrize("shape, out_channels, padding, groups, limit", [
    ((5, 16, 9, 7), 8, (1, 1), 1, 16 * 16 * 20 * 4 * 2),  # two images per chunk, odd sizes
    ((2, 3, 32, 32), 16, (1, 1), 1, None),                # an RGB stem
    ((3, 8, 4, 5), 12, (0, 2), 1, None),                  # valid rows, wide columns
    ((1, 2, 3, 3), 1, (0, 0), 1, None),                   # a single output
    ((3, 12, 7, 6), 9, (1, 2), 3, 16 * 12 * 16 * 4 * 2),  # three groups, two images a chunk
])
def test_winograd_equals_im2col_in_float32(shape, out_channels, padding, groups, limit):
    arrays = (random_array(shape, 0, np.float32),
              random_array((out_channels, shape[1] // groups, 3, 3), 1, np.float32),
              random_array((out_channels,), 2, np.float32))
    results = []
    if limit:
        set_workspace_limit(limit)
    try:
        for op, params in ((Conv2dWinograd, dict(padding=padding, groups=groups)),
                           (Conv2dGemm, dict(stride=(1, 1), padding=padding, dilation=(1, 1),
                                             groups=groups))):
            x, w, b = (mc.tensor(a, requires_grad=True) for a in arrays)
            y = op.apply(x, w, b, **params)
            g = random_array(y.shape, 3, np.float32)
            (y * mc.tensor(g)).sum().backward()
            results.append([y.detach().numpy(), x.grad, w.grad, b.grad])
    finally:
        set_workspace_limit(256 * 2 ** 20)
    for got, expected in zip(*results):
        got = np.asarray(getattr(got, "data", got))
        expected = np.asarray(getattr(expected, "data", expected))
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def _conv_with_grads(threads, arrays, groups):
    mc.set_num_threads(threads)
    x, w, b = (mc.tensor(a, requires_grad=True) for a in arrays)
    y = Conv2dWinograd.apply(x, w, b, padding=(1, 1), groups=groups)
    (y * mc.tensor(random_array(y.shape, 3, np.float32))).sum().backward()
    return [y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()]


@pytest.mark.parametrize("groups", [1, 2])
def test_winograd_chunks_on_threads_equal_one_thread(groups):
    """One image a chunk, seven chunks over three threads: each thread sums its own
    chunks' filter gradients, and these sums are added at the end."""
    arrays = (random_array((7, 32, 6, 5), 0, np.float32),
              random_array((8, 32 // groups, 3, 3), 1, np.float32),
              random_array((8,), 2, np.float32))
    before = mc.get_num_threads()
    set_workspace_limit(16 * 32 * 3 * 3 * 4)
    try:
        one, split = (_conv_with_grads(n, arrays, groups) for n in (1, 3))
    finally:
        set_workspace_limit(256 * 2 ** 20)
        mc.set_num_threads(before)
    for a, b in zip(one, split):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5 * np.abs(a).max())


@pytest.mark.parametrize("shape, out_channels, groups", [
    ((6, 32, 4, 4), 24, 1),                             # 512 channels at 4×4, in small
    ((3, 32, 7, 7), 16, 2),                             # two groups, an odd map
])
def test_gemms_split_over_points_equal_the_batch_chunks(shape, out_channels, groups,
                                                         monkeypatch):
    """Maps whose threads' shares hold too few tiles run the whole batch's transforms and
    hand out the GEMMs by transform point, forward and backward: the same outputs and
    gradients as the batch chunks, the filter gradient summed over every tile at once
    instead of per chunk."""
    arrays = (random_array(shape, 0, np.float32),
              random_array((out_channels, shape[1] // groups, 3, 3), 1, np.float32),
              random_array((out_channels,), 2, np.float32))
    split = conv_winograd._gemms_split_over_points
    assert split(np, shape[0], 4, conv_winograd.MIN_GEMM_ROWS, 1)
    assert not split(np, 4096, 4, conv_winograd.MIN_GEMM_ROWS, 1)     # a large batch: chunks
    before, results = mc.get_num_threads(), []
    try:
        for points in (True, False):
            monkeypatch.setattr(conv_winograd, "_gemms_split_over_points",
                                lambda *a, p=points: p)
            results.append(_conv_with_grads(2, arrays, groups))
    finally:
        mc.set_num_threads(before)
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5 * np.abs(a).max())


def test_a_training_step_reads_each_array_once_for_the_winograd_bound(monkeypatch):
    """The selector reads max|x| and max|w| once; the backward reuses them and reads only
    max|dY| (reading x again would be a pass over the largest array of the step)."""
    C, N = MIN_CHANNELS, -(-MIN_BATCH_TILES // 9)
    x = mc.tensor(random_array((N, C, 6, 6), 0, np.float32), requires_grad=True)
    w = mc.tensor(random_array((4, C, 3, 3), 1, np.float32), requires_grad=True)
    read, max_abs = [], conv_winograd._max_abs

    def recording(a):
        read.append(a.shape)
        return max_abs(a)

    monkeypatch.setattr(conv_winograd, "_max_abs", recording)
    y = conv2d(x, w, padding=1)
    assert _node(y) == "Conv2dWinograd" and read == [x.shape, w.shape]
    y.backward(mc.tensor(random_array(y.shape, 2, np.float32)))
    assert read == [x.shape, w.shape, y.shape]
    monkeypatch.undo()
    want_x, want_w = x.grad.numpy(), w.grad.numpy()
    x.grad = w.grad = None
    with mc.conv_algorithm("im2col"):
        conv2d(x, w, padding=1).backward(mc.tensor(random_array(y.shape, 2, np.float32)))
    np.testing.assert_allclose(want_x, x.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(want_w, w.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_winograd_on_an_empty_batch():
    x = mc.tensor(np.zeros((0, 16, 5, 5), np.float32), requires_grad=True)
    w = mc.tensor(random_array((4, 16, 3, 3), 1, np.float32), requires_grad=True)
    y = Conv2dWinograd.apply(x, w, None, padding=(1, 1))
    assert y.shape == (0, 4, 5, 5)
    y.sum().backward()
    assert x.grad.shape == (0, 16, 5, 5) and np.all(w.grad.numpy() == 0)


def _tiles_used(monkeypatch):
    """The (tile size, window) pairs conv_winograd._convolve is called with, recorded as it
    runs."""
    used, convolve = [], conv_winograd._convolve

    def recording(x, w, b, padding, groups, tile, *rest, **options):
        used.append((tile, w.shape[2]))
        return convolve(x, w, b, padding, groups, tile, *rest, **options)

    monkeypatch.setattr(conv_winograd, "_convolve", recording)
    return used


def test_f4_only_without_gradients_and_with_enough_tiles(monkeypatch):
    used = _tiles_used(monkeypatch)
    side = 4 * int(np.ceil(np.sqrt(MIN_TILES4)))                        # enough 4×4 tiles
    n = MIN_BATCH_TILES // 16                                           # 16 2×2 tiles at 8²
    x = mc.tensor(random_array((n, MIN_CHANNELS, side, side), 0, np.float32))
    w = mc.tensor(random_array((4, MIN_CHANNELS, 3, 3), 1, np.float32), requires_grad=True)
    with mc.no_grad():
        conv2d(x, w, padding=1)
        conv2d(x[:, :, :8, :8], w, padding=1)                           # four tiles an image
    conv2d(x, w, padding=1)                                             # w wants a gradient
    assert used == [(4, 3), (2, 3), (2, 3)]


@pytest.mark.parametrize("side, f4", [(16, True), (15, True), (30, True), (56, True),
                                      (14, False), (13, False), (18, False), (8, False)])
def test_f4_beats_f2_where_few_of_its_tiles_fall_past_the_edge(side, f4):
    """16 tiles at least, and F(4×4)'s products per output (36/16 times the share of its
    tiles inside the map) at most F4_PRODUCT_SHARE of F(2×2)'s: 14² (tiles over 16²) and
    13² take F(2×2); 8² has four tiles."""
    assert winograd4_beats_winograd2(side, side) is f4


@pytest.mark.parametrize("n, side, pays", [(32, 4, True), (31, 4, False), (8, 7, True),
                                           (7, 7, False), (1, 23, True), (1, 22, False)])
def test_3x3_winograd_needs_128_tiles_over_the_batch(n, side, pays):
    """ResNet-18 CIFAR's 4×4 layers on 32 images and ResNet-50's 7×7 on 8 hold 128 2×2
    tiles; one fewer image, or one image below 23², does not."""
    assert winograd_batch_pays(n, side, side) is pays and MIN_BATCH_TILES == 128


@pytest.mark.parametrize("side, f2_5x5", [(14, True), (13, True), (27, True), (12, False),
                                           (7, False)])
def test_5x5_needs_49_tiles(side, f2_5x5):
    """F(2×2, 5×5) from 7×7 tiles of 2×2 outputs on (13² and 14²); at 7² its transforms cost
    more than its GEMMs save."""
    assert winograd5_pays(side, side) is f2_5x5 and MIN_TILES5 == 49


@pytest.mark.parametrize("algorithm, shape, out_channels, window, padding, groups", [
    ("winograd_f4", (2, 16, 17, 18), 8, 3, (1, 1), 1),  # outputs not a multiple of 4
    ("winograd_f4", (3, 32, 16, 16), 12, 3, (1, 1), 2),  # two groups
    ("winograd_f4", (1, 16, 20, 15), 5, 3, (0, 2), 1),  # valid rows, wide columns
    ("winograd_5x5", (2, 16, 17, 18), 8, 5, (2, 2), 1),  # odd and even outputs
    ("winograd_5x5", (3, 32, 16, 16), 12, 5, (2, 1), 2),  # two groups
    ("winograd_5x5", (1, 16, 20, 15), 5, 5, (0, 4), 1),  # valid rows, wide columns
])
def test_forward_only_winograd_equals_torch_in_float32(algorithm, shape, out_channels, window,
                                                       padding, groups, monkeypatch):
    torch = pytest.importorskip("torch")
    used = _tiles_used(monkeypatch)
    x, w, b = (random_array(shape, 0, np.float32),
               random_array((out_channels, shape[1] // groups, window, window), 1, np.float32),
               random_array((out_channels,), 2, np.float32))
    with mc.no_grad(), mc.conv_algorithm(algorithm):
        out = conv2d(mc.tensor(x), mc.tensor(w), mc.tensor(b), padding=padding, groups=groups)
    assert used == [(4 if window == 3 else 2, window)] and out.dtype == mc.float32
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b),
                                          padding=padding, groups=groups).numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4,
                               atol=1e-4 * np.abs(expected).max())
