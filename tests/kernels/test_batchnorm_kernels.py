"""Fused training-mode BatchNorm kernels: the cpu and cuda forms equal the reference (with
channels of fewer and more than 256 values, the cuda form's block of threads), the
reference equals torch's batch_norm forward and gradients, and the statistics stay
accurate where E[x²] − E[x]² fails."""
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from kernel_cases import (DTYPES, FORMS, LAYOUTS, assert_same, compiled_once, kernels_of,
                          make_array)

from minicnn.kernels import cpu, reference

# (N, C, L); N·L, a channel's count, up to 1200: a block of 256 threads sums several each
SHAPES = st.tuples(st.integers(1, 4), st.integers(1, 5),
                   st.one_of(st.integers(1, 30), st.integers(60, 300)))
OFFSETS = st.sampled_from([0.0, 3.0, 1e4])
EPS = st.sampled_from([1e-5, 1e-3, 0.5])


def _inputs(shape, dtype, layout, offset, seed=1):
    """(x, g, weight, bias) for x of `shape` around `offset`."""
    x = (make_array(shape, dtype, layout, seed=seed) * 0.1 + offset).astype(dtype)
    g = make_array(shape, dtype, layout, seed=seed + 1)
    weight = make_array((shape[1],), dtype, seed=seed + 2)
    bias = make_array((shape[1],), dtype, seed=seed + 3)
    return x, g, weight, bias


def _close(got, want, dtype, scale=1.0):
    np.testing.assert_allclose(got, want, rtol=1e-4 if dtype == np.float32 else 1e-9,
                               atol=(1e-4 if dtype == np.float32 else 1e-10) * scale)


def _block_edges(test):
    """Channels of one value, of a partial block, of one block, of one block and one value
    of 256 threads (N·L = 1, 255, 256, 257), and with two rows of L > 256."""
    for shape in ((1, 2, 1), (3, 2, 85), (2, 3, 128), (1, 2, 257), (2, 4, 300)):
        test = example(shape=shape, dtype=np.float64, layout="contiguous", offset=3.0,
                       eps=1e-5)(test)
    return test


@pytest.mark.parametrize("form", FORMS)
@_block_edges
@given(shape=SHAPES, dtype=DTYPES, layout=LAYOUTS, offset=OFFSETS, eps=EPS)
def test_batch_norm_forward_forms_match_reference(form, shape, dtype, layout, offset, eps):
    x, _, weight, bias = _inputs(shape, dtype, layout, offset)
    for got, want in zip(kernels_of(form).batch_norm_forward(x, weight, bias, eps),
                         reference.batch_norm_forward(x, weight, bias, eps)):
        assert got.dtype == dtype and got.shape == want.shape
        _close(got, want, dtype, scale=max(1.0, offset))


@pytest.mark.parametrize("form", FORMS)
@_block_edges
@given(shape=SHAPES, dtype=DTYPES, layout=LAYOUTS, offset=OFFSETS, eps=EPS)
def test_batch_norm_backward_forms_match_reference(form, shape, dtype, layout, offset, eps):
    x, g, weight, bias = _inputs(shape, dtype, layout, offset)
    _, mean, var = reference.batch_norm_forward(x, weight, bias, eps)
    for got, want in zip(kernels_of(form).batch_norm_backward(g, x, mean, var, weight, eps),
                         reference.batch_norm_backward(g, x, mean, var, weight, eps)):
        assert got.dtype == dtype and got.shape == want.shape
        _close(got, want, dtype, scale=float(np.abs(want).max(initial=1.0)))


@given(SHAPES, EPS)
def test_batch_norm_reference_matches_torch(shape, eps):
    torch = pytest.importorskip("torch")
    x, g, weight, bias = _inputs(shape, np.float64, "contiguous", 3.0)
    if shape[0] * shape[2] == 1:
        return                                  # torch refuses one value per channel
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, weight, bias))
    ty = torch.nn.functional.batch_norm(tx, None, None, tw, tb, training=True, eps=eps)
    ty.backward(torch.tensor(g))
    y, mean, var = reference.batch_norm_forward(x, weight, bias, eps)
    assert_same(y, ty.detach().numpy())
    assert_same(mean, x.mean(axis=(0, 2)))
    assert_same(var, x.var(axis=(0, 2)))
    for got, want in zip(reference.batch_norm_backward(g, x, mean, var, weight, eps),
                         (tx.grad, tw.grad, tb.grad)):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("form", ("reference",) + FORMS)
def test_batch_norm_statistics_accurate_for_large_offset_float32(form):
    """1e4 + noise of std 1e-2 in float32: E[x²] − E[x]² is off by orders of magnitude
    (or negative); a two-pass variance is right to a few ulps of the noise."""
    x = (1e4 + 1e-2 * make_array((16, 3, 64), np.float64, seed=7)).astype(np.float32)
    exact = x.astype(np.float64)
    ones, zeros = np.ones(3, np.float32), np.zeros(3, np.float32)
    y, mean, var = kernels_of(form).batch_norm_forward(x, ones, zeros, 1e-12)
    assert mean.dtype == var.dtype == y.dtype == np.float32
    want = exact.var(axis=(0, 2))
    np.testing.assert_allclose(var, want, rtol=1e-3)
    np.testing.assert_allclose(mean, exact.mean(axis=(0, 2)), rtol=1e-7)
    np.testing.assert_allclose(y.std(axis=(0, 2)), 1.0, rtol=1e-3)
    naive = (x * x).mean(axis=(0, 2)) - x.mean(axis=(0, 2)) ** 2
    assert not np.allclose(naive, want, rtol=1e-1)     # the test would catch the naive form


def test_batch_norm_cpu_compiles_once_per_dtype():
    from minicnn.kernels.cpu.batchnorm import _backward, _forward

    for dtype in (np.float32, np.float64):
        x, g, w, b = _inputs((2, 3, 20), dtype, "contiguous", 0.0)
        cpu.batch_norm_backward(g, x, *cpu.batch_norm_forward(x, w, b, 1e-5)[1:], w, 1e-5)
    for layout in ("transposed", "sliced"):
        for dtype in (np.float32, np.float64):
            x, g, w, b = _inputs((2, 3, 5), dtype, layout, 0.0)
            assert compiled_once(_forward, lambda: cpu.batch_norm_forward(x, w, b, 1e-5))
            _, mean, var = cpu.batch_norm_forward(x, w, b, 1e-5)
            assert compiled_once(_backward,
                                 lambda: cpu.batch_norm_backward(g, x, mean, var, w, 1e-5))


@pytest.mark.parametrize("form", ("reference", "cpu", pytest.param("cuda",
                                                                   marks=pytest.mark.gpu)))
@pytest.mark.parametrize("infinity", [np.inf, -np.inf])
def test_batch_norm_mean_of_a_channel_holding_infinity(form, infinity):
    x, _, weight, bias = _inputs((2, 3, 7), np.float64, "contiguous", 3.0)
    x[1, 0, 4] = infinity
    with np.errstate(invalid="ignore"):                         # ∞ − ∞ is meant
        _, mean, var = kernels_of(form).batch_norm_forward(x, weight, bias, 1e-5)
    assert mean[0] == infinity and np.isnan(var[0])
    _close(mean[1:], x[:, 1:].mean(axis=(0, 2)), np.float64)
