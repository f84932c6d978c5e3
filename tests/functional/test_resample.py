"""interpolate (nearest, bilinear) and dropout2d: exact copies, known values, scatter-add,
dropout masks, errors (gradcheck and PyTorch parity: op_table.py)."""
import numpy as np
import pytest
from conftest import random_array, untied_array
from op_table import RESIZES, resize_id

import minicnn as mc
from minicnn.functional.resample import _scatter_rounds, dropout2d, interpolate


def torch_functional():
    return pytest.importorskip("torch").nn.functional


# ---------------------------------------------------------------- interpolate

@pytest.mark.parametrize("resize", RESIZES, ids=resize_id)
def test_interpolate_nearest_copies_values_exactly(resize):
    TF = torch_functional()
    torch = pytest.importorskip("torch")
    x = untied_array((1, 2, 5, 6))
    ours = interpolate(mc.tensor(x), **resize).numpy()
    np.testing.assert_array_equal(ours, TF.interpolate(torch.tensor(x), **resize).numpy())
    assert np.isin(ours, x).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interpolate_keeps_dtype_and_shape(dtype):
    x = mc.tensor(random_array((2, 3, 4, 5), dtype=dtype))
    assert interpolate(x, size=(6, 7), mode="bilinear").dtype == dtype
    assert interpolate(x, scale_factor=2.5).shape == (2, 3, 10, 12)
    assert interpolate(x, scale_factor=(0.5, 0.4)).shape == (2, 3, 2, 2)


def test_interpolate_bilinear_align_corners_known_values():
    x = mc.tensor(np.array([[0.0, 3.0]]).reshape(1, 1, 1, 2))
    np.testing.assert_allclose(
        interpolate(x, size=(1, 4), mode="bilinear", align_corners=True).numpy().ravel(),
        [0, 1, 2, 3])
    # align_corners=False: src = (dst + ½)·in/out − ½, clamped at 0
    np.testing.assert_allclose(
        interpolate(x, size=(1, 4), mode="bilinear", align_corners=False).numpy().ravel(),
        [0, 0.75, 2.25, 3])


@pytest.mark.parametrize("size", [3, 7, 1, 40])
def test_scatter_rounds_equal_add_at(size):
    """The round-based scatter-add sums every value into its slot, like np.add.at, for any
    (also unsorted) index, taking each value exactly once."""
    rng = np.random.default_rng(size)
    index = rng.integers(0, size, 25)
    values = rng.standard_normal(25)
    expected = np.zeros(size)
    np.add.at(expected, index, values)
    rounds = _scatter_rounds(index, size)
    assert len(rounds) == np.bincount(index).max()
    taken = np.concatenate(rounds)
    np.testing.assert_array_equal(np.sort(taken[taken < 25]), np.arange(25))
    out = sum(np.append(values, 0.0)[sources] for sources in rounds)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_interpolate_errors():
    x = mc.tensor(random_array((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"interpolate: only one of size or scale_factor should "
                                         r"be defined, got size=\(2, 2\) and scale_factor=2"):
        interpolate(x, size=(2, 2), scale_factor=2)
    with pytest.raises(ValueError, match=r"interpolate: either size or scale_factor should be "
                                         r"defined"):
        interpolate(x)
    with pytest.raises(ValueError, match=r"interpolate: unsupported mode 'bicubic'; expected one "
                                         r"of 'nearest', 'bilinear'"):
        interpolate(x, size=2, mode="bicubic")
    with pytest.raises(ValueError, match=r"interpolate: align_corners option can only be set "
                                         r"with the interpolating mode 'bilinear'"):
        interpolate(x, size=2, align_corners=True)
    with pytest.raises(ValueError, match=r"interpolate: expected 4-D input \(N, C, H, W\), got "
                                         r"3-D input of shape \(2, 4, 4\)"):
        interpolate(mc.tensor(random_array((2, 4, 4))), size=2)
    with pytest.raises(TypeError, match=r"interpolate: size must be an int or a pair of ints"):
        interpolate(x, size=(2, 3, 4))
    with pytest.raises(TypeError, match=r"interpolate: size must be an int or a pair of ints"):
        interpolate(x, size=2.5)
    with pytest.raises(TypeError, match=r"interpolate: scale_factor must be a number or a pair"):
        interpolate(x, scale_factor=(2.0,))
    with pytest.raises(ValueError, match=r"interpolate: scale_factor must be positive"):
        interpolate(x, scale_factor=-2)
    with pytest.raises(ValueError, match=r"interpolate: input and output sizes should be greater "
                                         r"than 0, but got input \(H: 4, W: 4\) and output "
                                         r"\(H: 0, W: 0\)"):
        interpolate(x, scale_factor=0.2)
    with pytest.raises(ValueError, match=r"interpolate: recompute_scale_factor is not meaningful"):
        interpolate(x, size=3, recompute_scale_factor=True)
    with pytest.raises(TypeError, match=r"interpolate: argument 'input' must be a floating"):
        interpolate(mc.tensor(np.ones((1, 1, 2, 2), dtype=np.int64)), size=3)


# ---------------------------------------------------------------- dropout2d

def nonzero_input(shape, seed=0, dtype=np.float64):
    """Data with no zeros, so a zero in the output can only come from the mask."""
    x = random_array(shape, seed, dtype)
    return np.where(np.abs(x) < 0.1, 0.5, x).astype(dtype)


@pytest.mark.parametrize("shape", [(8, 50, 3, 4), (200, 2, 3)], ids=["NCHW", "CHW"])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout2d_zeroes_whole_channels_and_scales_the_rest(shape, p, dtype):
    mc.manual_seed(0)
    x = nonzero_input(shape, dtype=dtype)
    out = dropout2d(mc.tensor(x), p=p).numpy()
    assert out.dtype == dtype and out.shape == x.shape
    ratio = (out / x).reshape(-1, shape[-2] * shape[-1])      # one row per channel
    dropped = (ratio == 0).all(axis=1)
    kept = np.isclose(ratio, 1 / (1 - p), rtol=1e-6).all(axis=1)
    assert np.all(dropped | kept)                             # never part of a channel
    # 400 channels drawn Bernoulli(p): the fraction's standard deviation is <= 0.025
    assert abs(dropped.mean() - p) < 0.1


def test_dropout2d_is_reproducible_after_manual_seed():
    x = mc.tensor(nonzero_input((4, 16, 2, 2)))
    mc.manual_seed(11)
    first = dropout2d(x).numpy()
    second = dropout2d(x).numpy()
    mc.manual_seed(11)
    np.testing.assert_array_equal(dropout2d(x).numpy(), first)
    assert not np.array_equal(first != 0, second != 0)  # the generator moves on between calls


@pytest.mark.parametrize("p, training", [(0.5, False), (0.0, True), (1.0, False)])
def test_dropout2d_is_identity_in_eval_and_at_p0(p, training):
    x = mc.tensor(nonzero_input((2, 3, 4, 4)), requires_grad=True)
    out = dropout2d(x, p=p, training=training)
    np.testing.assert_array_equal(out.detach().numpy(), x.detach().numpy())
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3, 4, 4)))


def test_dropout2d_p1_gives_zeros_and_zero_gradient():
    x = mc.tensor(nonzero_input((2, 3, 2, 2)), requires_grad=True)
    out = dropout2d(x, p=1.0)
    np.testing.assert_array_equal(out.detach().numpy(), np.zeros((2, 3, 2, 2)))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3, 2, 2)))


def test_dropout2d_gradient_is_the_channel_mask():
    p = 0.4
    mc.manual_seed(5)
    x = mc.tensor(nonzero_input((3, 6, 2, 3)), requires_grad=True)
    out = dropout2d(x, p=p)
    mask = out.detach().numpy() / x.detach().numpy()
    g = random_array((3, 6, 2, 3), seed=2)
    (out * mc.tensor(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), g * mask, rtol=1e-12)


def test_dropout2d_errors():
    with pytest.raises(ValueError, match=r"dropout2d: dropout probability has to be between 0 "
                                         r"and 1, but got 1.5"):
        dropout2d(mc.tensor(random_array((2, 3, 4, 4))), p=1.5)
    with pytest.raises(ValueError, match=r"dropout2d: expected 4-D input \(N, C, H, W\) or 3-D "
                                         r"input \(C, H, W\), got 2-D input of shape \(3, 4\)"):
        dropout2d(mc.tensor(random_array((3, 4))))
