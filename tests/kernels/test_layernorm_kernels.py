"""Fused LayerNorm row kernels: the cpu form equals the reference, the reference equals
torch's layer_norm forward and gradients, and the statistics stay accurate where
E[x²] − E[x]² fails."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_cases import DTYPES, LAYOUTS, assert_same, compiled_once, cupy_or_skip, make_array

from minicnn.kernels import cpu, reference

SHAPES = st.tuples(st.integers(1, 40), st.integers(1, 33))                 # (R, K)
OFFSETS = st.sampled_from([0.0, 3.0, 1e4])
EPS = st.sampled_from([1e-5, 1e-3, 0.5])
AFFINE = st.booleans()


def _inputs(shape, dtype, layout, offset, affine, seed=1):
    """(x, g, weight, bias) for x of `shape` around `offset`; weight and bias None unless
    `affine`."""
    x = (make_array(shape, dtype, layout, seed=seed) * 0.1 + offset).astype(dtype)
    g = make_array(shape, dtype, layout, seed=seed + 1)
    if not affine:
        return x, g, None, None
    return x, g, make_array((shape[1],), dtype, seed=seed + 2), \
        make_array((shape[1],), dtype, seed=seed + 3)


def _close(got, want, dtype, scale=1.0):
    np.testing.assert_allclose(got, want, rtol=1e-4 if dtype == np.float32 else 1e-9,
                               atol=(1e-4 if dtype == np.float32 else 1e-10) * scale)


@given(SHAPES, DTYPES, LAYOUTS, OFFSETS, EPS, AFFINE)
def test_layer_norm_forward_cpu_matches_reference(shape, dtype, layout, offset, eps, affine):
    x, _, weight, bias = _inputs(shape, dtype, layout, offset, affine)
    for got, want in zip(cpu.layer_norm_forward(x, weight, bias, eps),
                         reference.layer_norm_forward(x, weight, bias, eps)):
        assert got.dtype == dtype and got.shape == want.shape
        _close(got, want, dtype, scale=max(1.0, offset, float(np.abs(want).max())))


@given(SHAPES, DTYPES, LAYOUTS, OFFSETS, EPS, AFFINE)
def test_layer_norm_backward_cpu_matches_reference(shape, dtype, layout, offset, eps, affine):
    x, g, weight, bias = _inputs(shape, dtype, layout, offset, affine)
    _, mean, rstd = reference.layer_norm_forward(x, weight, bias, eps)
    got = cpu.layer_norm_backward(g, x, mean, rstd, weight)
    want = reference.layer_norm_backward(g, x, mean, rstd, weight)
    assert all((a is None) == (b is None) == (not affine) for a, b in zip(got[1:], want[1:]))
    for a, b in zip(got, want):
        if b is not None:
            assert a.dtype == dtype and a.shape == b.shape
            _close(a, b, dtype, scale=float(np.abs(b).max(initial=1.0)))


@given(SHAPES, EPS, AFFINE)
def test_layer_norm_reference_matches_torch(shape, eps, affine):
    torch = pytest.importorskip("torch")
    x, g, weight, bias = _inputs(shape, np.float64, "contiguous", 3.0, affine)
    tx = torch.tensor(x, requires_grad=True)
    tw, tb = ((torch.tensor(a, requires_grad=True) for a in (weight, bias)) if affine
              else (None, None))
    ty = torch.nn.functional.layer_norm(tx, (shape[1],), tw, tb, eps=eps)
    ty.backward(torch.tensor(g))
    y, mean, rstd = reference.layer_norm_forward(x, weight, bias, eps)
    assert_same(y, ty.detach().numpy())
    assert_same(mean, x.mean(axis=1))
    assert_same(rstd, 1 / np.sqrt(x.var(axis=1) + eps))
    dx, dw, db = reference.layer_norm_backward(g, x, mean, rstd, weight)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-7, atol=1e-9)
    if affine:
        np.testing.assert_allclose(dw, tw.grad.numpy(), rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(db, tb.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("form", [reference, cpu], ids=["reference", "cpu"])
def test_layer_norm_statistics_accurate_for_large_offset_float32(form):
    """1e4 + noise of std 1e-2 in float32: E[x²] − E[x]² is off by orders of magnitude
    (or negative); a two-pass variance is right to a few ulps of the noise."""
    x = (1e4 + 1e-2 * make_array((6, 256), np.float64, seed=7)).astype(np.float32)
    exact = x.astype(np.float64)
    y, mean, rstd = form.layer_norm_forward(x, None, None, 1e-12)
    assert mean.dtype == rstd.dtype == y.dtype == np.float32
    want = exact.var(axis=1)
    np.testing.assert_allclose(1 / rstd.astype(np.float64) ** 2, want, rtol=1e-3)
    np.testing.assert_allclose(mean, exact.mean(axis=1), rtol=1e-7)
    np.testing.assert_allclose(y.std(axis=1), 1.0, rtol=1e-3)
    naive = (x * x).mean(axis=1) - x.mean(axis=1) ** 2
    assert not np.allclose(naive, want, rtol=1e-1)     # the test would catch the naive form


def test_layer_norm_cpu_compiles_once_per_dtype():
    from minicnn.kernels.cpu.layernorm import _backward, _forward

    for dtype in (np.float32, np.float64):
        x, g, w, b = _inputs((4, 20), dtype, "contiguous", 0.0, True)
        cpu.layer_norm_backward(g, x, *cpu.layer_norm_forward(x, w, b, 1e-5)[1:], w)
    for layout in ("transposed", "sliced"):
        for dtype in (np.float32, np.float64):
            x, g, w, b = _inputs((3, 5), dtype, layout, 0.0, layout == "sliced")
            assert compiled_once(_forward, lambda: cpu.layer_norm_forward(x, w, b, 1e-5))
            _, mean, rstd = cpu.layer_norm_forward(x, w, b, 1e-5)
            assert compiled_once(_backward,
                                 lambda: cpu.layer_norm_backward(g, x, mean, rstd, w))


@pytest.mark.gpu
@given(SHAPES, DTYPES, OFFSETS, EPS, AFFINE)
def test_layer_norm_cuda_matches_reference(shape, dtype, offset, eps, affine):
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    x, g, weight, bias = _inputs(shape, dtype, "transposed", offset, affine)
    gpu = [None if a is None else cupy.asarray(a) for a in (x, g, weight, bias)]
    for got, want in zip(cuda.layer_norm_forward(gpu[0], gpu[2], gpu[3], eps),
                         reference.layer_norm_forward(x, weight, bias, eps)):
        _close(got.get(), want, dtype, scale=max(1.0, offset, float(np.abs(want).max())))
    _, mean, rstd = reference.layer_norm_forward(x, weight, bias, eps)
    got = cuda.layer_norm_backward(gpu[1], gpu[0], cupy.asarray(mean), cupy.asarray(rstd),
                                   gpu[2])
    for a, b in zip(got, reference.layer_norm_backward(g, x, mean, rstd, weight)):
        if b is not None:
            _close(a.get(), b, dtype, scale=float(np.abs(b).max(initial=1.0)))
