"""batch_norm, layer_norm, group_norm, local_response_norm: running statistics, numerics,
known values, errors (float64 gradcheck of every input, PyTorch parity of the outputs and every
gradient, and the reference kernels: op_table.py)."""
import numpy as np
import pytest
from conftest import assert_torch_parity, random_array
from op_inputs import positive
from op_table import BN_SHAPES

import minicnn as mc
from minicnn import kernels
from minicnn.functional.normalization import (batch_norm, group_norm, layer_norm,
                                              local_response_norm)


def torch_functional():
    return pytest.importorskip("torch").nn.functional


@pytest.fixture(params=["auto", "reference"])
def kernel_form(request):
    """Run the test with the fast kernels and again with the readable ones."""
    with kernels.set_kernels(request.param):
        yield request.param


# ---------------------------------------------------------------- batch_norm

@pytest.mark.parametrize("shape", BN_SHAPES.values(), ids=BN_SHAPES.keys())
@pytest.mark.parametrize("momentum", [0.1, 0.6])
def test_batch_norm_running_stats_match_torch(shape, momentum, kernel_form):
    """Two training calls update the running stats as PyTorch (unbiased variance); eval then
    uses them, with the same output and gradients."""
    torch, TF = pytest.importorskip("torch"), torch_functional()
    C = shape[1]
    rm, rv = mc.zeros(C), mc.ones(C)
    trm, trv = torch.zeros(C), torch.ones(C)
    mean_array = rm._data
    for step in range(2):
        x = random_array(shape, 10 + step, np.float32) * (step + 2) + 3
        out = batch_norm(mc.tensor(x), rm, rv, training=True, momentum=momentum)
        expected = TF.batch_norm(torch.tensor(x), trm, trv, training=True, momentum=momentum)
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-5, atol=1e-6)
    assert rm._data is mean_array  # updated in place
    assert rm.dtype == np.float32 and rv.dtype == np.float32
    w, b = positive((C,), 1).astype(np.float32), random_array((C,), 2, np.float32)
    assert_torch_parity(lambda x, w, b: batch_norm(x, rm, rv, w, b, training=False),
                        lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, training=False),
                        random_array(shape, 20, np.float32) * 3 + 3, w, b)


def test_batch_norm_running_stats_are_the_batch_moments():
    x = random_array((6, 2, 3, 4), 0) * 2 + 5
    rm, rv = mc.tensor(np.full(2, 7.0)), mc.tensor(np.full(2, 9.0))
    batch_norm(mc.tensor(x), rm, rv, training=True, momentum=0.25)
    flat = x.transpose(1, 0, 2, 3).reshape(2, -1)
    np.testing.assert_allclose(rm.numpy(), 0.75 * 7 + 0.25 * flat.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.75 * 9 + 0.25 * flat.var(axis=1, ddof=1),
                               rtol=1e-12)
    # momentum=1 replaces them; no running stats at all is fine in training
    batch_norm(mc.tensor(x), rm, rv, training=True, momentum=1.0)
    np.testing.assert_allclose(rv.numpy(), flat.var(axis=1, ddof=1), rtol=1e-12)
    out = batch_norm(mc.tensor(x), None, None, training=True)
    assert out.shape == x.shape


def reference_normalize(x, axes, eps=1e-5):
    """float64 two-pass normalization of `x` (any float dtype) over `axes`."""
    x = x
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + eps)


def large_offset_data(shape, seed=0):
    """float32 data 1e4 + N(0, 1): E[x²] − E[x]² would lose the variance entirely (the ulp of
    1e8 is 8) and could even go negative."""
    return (1e4 + random_array(shape, seed)).astype(np.float32)


def test_batch_norm_large_offset_float32_keeps_precision(kernel_form):
    x = large_offset_data((16, 3, 8, 8))
    rm, rv = mc.zeros(3), mc.ones(3)
    out = batch_norm(mc.tensor(x), rm, rv, training=True, momentum=1.0)
    assert out.dtype == np.float32 and np.all(np.isfinite(out.numpy()))
    # the float32 batch mean is off by up to half an ulp of 1e4 (5e-4): |error of x̂| ≲ 1e-3
    np.testing.assert_allclose(out.numpy(), reference_normalize(x, (0, 2, 3)), atol=2e-3)
    flat = x.transpose(1, 0, 2, 3).reshape(3, -1)
    np.testing.assert_allclose(rv.numpy(), flat.var(axis=1, ddof=1), rtol=1e-3)
    np.testing.assert_allclose(rm.numpy(), flat.mean(axis=1), rtol=1e-6)
    # eval with those running stats maps the same data to (almost) the same values
    evaluated = batch_norm(mc.tensor(x), rm, rv, training=False)
    np.testing.assert_allclose(evaluated.numpy(), reference_normalize(x, (0, 2, 3)), atol=3e-3)


def test_batch_norm_without_grad_and_keeps_dtype():
    x = mc.tensor(random_array((4, 3, 2, 2), dtype=np.float32), requires_grad=True)
    with mc.no_grad():
        out = batch_norm(x, None, None, training=True)
    assert isinstance(out, mc.Tensor) and out.grad_fn is None and out.dtype == np.float32
    out = batch_norm(x, None, None, training=True)
    assert out.requires_grad and out.dtype == np.float32


def test_batch_norm_errors():
    x = mc.tensor(random_array((4, 3, 2, 2)))
    rm, rv = mc.zeros(3, dtype="float64"), mc.ones(3, dtype="float64")
    with pytest.raises(ValueError, match=r"batch_norm: expected input of shape \(N, C\).*got "
                                         r"1-D input of shape \(4,\)"):
        batch_norm(mc.tensor(random_array((4,))), None, None, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: .*6-D input of shape \(1, 2, 1, 1, 1, 3\)"):
        batch_norm(mc.tensor(random_array((1, 2, 1, 1, 1, 3))), None, None, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: running_mean must have shape \(3,\).*"
                                         r"input of shape \(4, 3, 2, 2\).*got shape \(4,\)"):
        batch_norm(x, mc.zeros(4, dtype="float64"), rv, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: running_var must have shape \(3,\).*"
                                         r"got shape \(2,\)"):
        batch_norm(x, rm, mc.ones(2, dtype="float64"), training=False)
    with pytest.raises(ValueError, match=r"batch_norm: weight must have shape \(3,\).*"
                                         r"got shape \(3, 1\)"):
        batch_norm(x, rm, rv, weight=mc.ones(3, 1, dtype="float64"))
    with pytest.raises(TypeError, match=r"batch_norm: bias dtype float32 does not match input "
                                        r"dtype float64"):
        batch_norm(x, rm, rv, bias=mc.zeros(3, dtype="float32"))
    with pytest.raises(ValueError, match=r"batch_norm: running_mean and running_var must "
                                         r"either both be None"):
        batch_norm(x, rm, None, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: running_mean and running_var must be "
                                         r"given when training=False"):
        batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match=r"batch_norm: momentum=None"):
        batch_norm(x, rm, rv, training=True, momentum=None)
    for shape in [(1, 3), (1, 3, 1), (1, 3, 1, 1)]:
        with pytest.raises(ValueError, match=r"batch_norm: Expected more than 1 value per "
                                             r"channel when training, got input of shape "
                                             + shape_pattern(shape)):
            batch_norm(mc.tensor(random_array(shape)), rm, rv, training=True)
    batch_norm(mc.tensor(random_array((1, 3))), rm, rv, training=False)  # fine in eval
    with pytest.raises(ValueError, match=r"batch_norm: eps must be positive during training"):
        batch_norm(x, rm, rv, training=True, eps=0.0)
    with pytest.raises(TypeError, match=r"batch_norm: argument 'input' must be a floating tensor"):
        batch_norm(mc.tensor(np.ones((4, 3), dtype=np.int64)), None, None, training=True)


def shape_pattern(shape):
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


# ---------------------------------------------------------------- layer_norm

def test_layer_norm_large_offset_float32_keeps_precision():
    x = large_offset_data((4, 256))
    out = layer_norm(mc.tensor(x), 256)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), reference_normalize(x, (1,)), atol=2e-3)


def test_layer_norm_errors():
    x = mc.tensor(random_array((2, 3, 4)))
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape \(3,\) does not match the "
                                         r"trailing dimensions of input of shape \(2, 3, 4\)"):
        layer_norm(x, 3)
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape \(1, 2, 3, 4\) does not "
                                         r"match"):
        layer_norm(x, (1, 2, 3, 4))
    with pytest.raises(ValueError, match=r"layer_norm: weight must have shape normalized_shape = "
                                         r"\(3, 4\), got shape \(4,\)"):
        layer_norm(x, (3, 4), weight=mc.ones(4, dtype="float64"))
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape must have at least one"):
        layer_norm(x, ())
    with pytest.raises(TypeError, match=r"layer_norm: normalized_shape must be an int or a "
                                        r"sequence of ints"):
        layer_norm(x, None)
    with pytest.raises(TypeError, match=r"layer_norm: bias dtype float32 does not match"):
        layer_norm(x, 4, bias=mc.zeros(4, dtype="float32"))


# ---------------------------------------------------------------- group_norm

def test_group_norm_single_value_groups_give_the_bias():
    """x̂ = 0 exactly for a group of one value (torch gets rounding noise ×1/√eps there)."""
    x = mc.tensor(random_array((2, 3)), requires_grad=True)
    b = random_array((3,), 1)
    out = group_norm(x, 3, mc.tensor(random_array((3,), 2)), mc.tensor(b))
    np.testing.assert_array_equal(out.detach().numpy(), np.broadcast_to(b, (2, 3)))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


def test_group_norm_large_offset_float32_keeps_precision():
    x = large_offset_data((2, 8, 8, 8))
    out = group_norm(mc.tensor(x), 4)
    expected = reference_normalize(x.reshape(2, 4, -1), (2,)).reshape(x.shape)
    np.testing.assert_allclose(out.numpy(), expected, atol=2e-3)


def test_group_norm_errors():
    x = mc.tensor(random_array((2, 6, 3)))
    with pytest.raises(ValueError, match=r"group_norm: num_groups=4 must be a positive int "
                                         r"dividing the number of channels C=6 \(input shape "
                                         r"\(2, 6, 3\)\)"):
        group_norm(x, 4)
    with pytest.raises(ValueError, match=r"group_norm: num_groups=0"):
        group_norm(x, 0)
    with pytest.raises(ValueError, match=r"group_norm: expected input of shape \(N, C, \*\) "
                                         r"with at least 2 dimensions, got shape \(6,\)"):
        group_norm(mc.tensor(random_array((6,))), 2)
    with pytest.raises(ValueError, match=r"group_norm: weight must have shape \(6,\).*got shape "
                                         r"\(3,\)"):
        group_norm(x, 3, weight=mc.ones(3, dtype="float64"))


# ---------------------------------------------------------------- local_response_norm

def test_local_response_norm_known_value():
    # channels 0..2 of one pixel, size 2 (window c−1 .. c): scale[c] = 1 + ½·(x[c−1]² + x[c]²)
    x = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1)
    out = local_response_norm(mc.tensor(x), 2, alpha=1.0, beta=1.0, k=1.0).numpy().ravel()
    np.testing.assert_allclose(out, [1 / 1.5, 2 / 3.5, 3 / 7.5])


@pytest.mark.parametrize("size", [1, 3, 5])
def test_lrn_module_paper_convention_does_not_divide_alpha(size):
    """nn.LocalResponseNorm(alpha_convention="paper"): y[c] = x[c] / (k + α Σ x²)^β over the
    window, as Krizhevsky et al. write it; the default divides α by the window size."""
    x = random_array((2, 6, 3, 2), 0)
    lo, hi = size // 2, (size - 1) // 2
    padded = np.pad(x ** 2, ((0, 0), (lo, hi), (0, 0), (0, 0)))
    sums = np.stack([padded[:, c:c + size].sum(axis=1) for c in range(6)], axis=1)
    for convention, alpha in (("paper", 0.3), ("pytorch", 0.3 / size)):
        module = mc.nn.LocalResponseNorm(size, alpha=0.3, beta=0.75, k=2.0,
                                         alpha_convention=convention)
        np.testing.assert_allclose(module(mc.tensor(x)).numpy(),
                                   x / (2.0 + alpha * sums) ** 0.75, rtol=1e-12)
    assert repr(module) == f"LocalResponseNorm({size}, alpha=0.3, beta=0.75, k=2.0)"
    paper = mc.nn.LocalResponseNorm(size, alpha=0.3, alpha_convention="paper")
    assert repr(paper) == (f"LocalResponseNorm({size}, alpha=0.3, beta=0.75, k=1.0, "
                           f"alpha_convention='paper')")
    with pytest.raises(ValueError, match=r"LocalResponseNorm: alpha_convention must be one of "
                                         r"\('pytorch', 'paper'\), got 'caffe'"):
        mc.nn.LocalResponseNorm(size, alpha_convention="caffe")


def test_local_response_norm_errors():
    with pytest.raises(ValueError, match=r"local_response_norm: expected 3-D or higher input "
                                         r"\(N, C, \*\), got 2-D input of shape \(2, 3\)"):
        local_response_norm(mc.tensor(random_array((2, 3))), 2)
    with pytest.raises(ValueError, match=r"local_response_norm: size must be a positive int, "
                                         r"got 0"):
        local_response_norm(mc.tensor(random_array((2, 3, 4))), 0)
    empty = mc.tensor(np.zeros((0, 3, 4)))
    assert local_response_norm(empty, 2).shape == (0, 3, 4)
