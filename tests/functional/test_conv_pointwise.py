"""conv2d's GEMM path for 1×1 convolutions: one GEMM per image on output maps of at least
PER_IMAGE_MIN_PIXELS pixels, one over the whole batch on smaller ones (strided calls on the
input's every stride-th row and column); equal to PyTorch (forward and gradients) and
gradient-checked in both forms (with op_table.py's conv2d-1x1 and conv2d-pointwise-path
rows)."""
import numpy as np
import pytest
from conftest import assert_torch_parity, check_gradients, random_array

import minicnn as mc
from minicnn.functional.conv import Conv2dPointwise, conv2d
from minicnn.functional.conv_pointwise import PER_IMAGE_MIN_PIXELS


def _node(x, w, **kw):
    return type(conv2d(x, w, **kw).grad_fn).__name__


def test_pointwise_path_is_taken_for_unpadded_ungrouped_1x1_on_every_map():
    w = mc.tensor(random_array((5, 4, 1, 1), 1, np.float32), requires_grad=True)
    big = mc.tensor(random_array((2, 4, 32, PER_IMAGE_MIN_PIXELS // 32), 0, np.float32),
                    requires_grad=True)
    small = mc.tensor(random_array((2, 4, 3, 3), 0, np.float32), requires_grad=True)
    assert _node(big, w) == "Conv2dPointwise"
    assert _node(small, w) == "Conv2dPointwise"
    assert _node(big, w, stride=2) == "Conv2dPointwise"                # over the batch
    assert _node(big, w, padding=1) == "Conv2dGemm"
    grouped = mc.tensor(random_array((6, 2, 1, 1), 1, np.float32), requires_grad=True)
    assert _node(big, grouped, groups=2) != "Conv2dPointwise"


@pytest.mark.parametrize("shape, stride", [
    ((2, 5, 65, 70), 2), ((1, 5, 67, 104), (2, 3)), ((1, 5, 97, 35), (3, 1)), ((1, 5, 33, 34), 1),
    ((2, 5, 13, 14), 2), ((3, 5, 3, 4), 1), ((2, 5, 7, 7), 1), ((1, 5, 1, 1), 1),
])
def test_pointwise_matches_torch(shape, stride):
    """Odd map sizes, so the last row or column of the input is (or is not) sampled; the
    first four output maps have at least PER_IMAGE_MIN_PIXELS pixels (one GEMM per image),
    the others fewer (one GEMM over the batch)."""
    torch = pytest.importorskip("torch")
    x = random_array(shape, 0, np.float32)
    w, b = random_array((3, 5, 1, 1), 1, np.float32), random_array((3,), 2, np.float32)
    assert _node(mc.tensor(x), mc.tensor(w, requires_grad=True), stride=stride) \
        == "Conv2dPointwise"
    assert_torch_parity(lambda *t: conv2d(*t, stride=stride),
                        lambda *t: torch.nn.functional.conv2d(*t, stride=stride),
                        x, w, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape, stride", [((1, 2, 65, 63), 2), ((3, 2, 3, 5), 1)])
def test_pointwise_gradcheck(shape, stride):
    """Per image (33×32 output pixels), and over the batch (3×5)."""
    x, w, b = random_array(shape, 0), random_array((4, 2, 1, 1), 1), random_array((4,), 2)
    assert _node(mc.tensor(x), mc.tensor(w, requires_grad=True), stride=stride) \
        == "Conv2dPointwise"
    check_gradients(lambda x, w, b: conv2d(x, w, b, stride=stride), x, w, b)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_pointwise_split_across_threads_equals_one_batch(threads):
    """Each thread's slice of the images and its share of dW add up to the whole batch."""
    x = random_array((5, 6, 32, 32), 0)                          # one GEMM per image
    w, g = random_array((4, 6, 1, 1), 1), random_array((5, 4, 32, 32), 2)
    before = mc.get_num_threads()
    mc.set_num_threads(threads)
    try:
        tx, tw = mc.tensor(x, requires_grad=True), mc.tensor(w, requires_grad=True)
        Conv2dPointwise.apply(tx, tw, None).backward(mc.tensor(g))
    finally:
        mc.set_num_threads(before)
    x3, g3 = x.reshape(5, 6, 1024), g.reshape(5, 4, 1024)
    w2 = w.reshape(4, 6)
    np.testing.assert_allclose(tx.grad.numpy(), (w2.T @ g3).reshape(x.shape), rtol=1e-12)
    np.testing.assert_allclose(tw.grad.numpy(), np.einsum("nop,ncp->oc", g3, x3)[..., None, None],
                               rtol=1e-12)


@pytest.mark.parametrize("side", [32, 2])                        # per image, over the batch
def test_pointwise_on_an_empty_batch(side):
    x = mc.tensor(np.zeros((0, 6, side, side), np.float32), requires_grad=True)
    w = mc.tensor(random_array((4, 6, 1, 1), 1, np.float32), requires_grad=True)
    y = Conv2dPointwise.apply(x, w, None)
    assert y.shape == (0, 4, side, side)
    y.sum().backward()
    assert x.grad.shape == (0, 6, side, side) and np.all(w.grad.numpy() == 0)
