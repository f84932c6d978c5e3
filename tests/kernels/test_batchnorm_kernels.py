"""Fused BatchNorm statistics: the cpu and cuda forms equal the reference, the reference
equals torch's mean / var(unbiased=False), and all stay accurate where E[x²] − E[x]² fails."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_cases import DTYPES, LAYOUTS, assert_same, compiled_once, cupy_or_skip, make_array

from minicnn.kernels import cpu, reference

SHAPES = st.one_of(st.tuples(st.integers(1, 6), st.integers(1, 5)),
                   st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 6),
                             st.integers(1, 6)))
OFFSETS = st.sampled_from([0.0, 3.0, 1e4])


def _input(shape, dtype, layout, offset):
    return (make_array(shape, dtype, layout, seed=1) * 0.1 + offset).astype(dtype)


@given(SHAPES, DTYPES, LAYOUTS, OFFSETS)
def test_batch_norm_stats_cpu_matches_reference(shape, dtype, layout, offset):
    x = _input(shape, dtype, layout, offset)
    mean, var = cpu.batch_norm_stats(x)
    ref_mean, ref_var = reference.batch_norm_stats(x)
    assert_same(mean, ref_mean)
    np.testing.assert_allclose(var, ref_var, rtol=1e-5 if dtype == np.float32 else 1e-10,
                               atol=1e-12)
    assert var.dtype == dtype and var.shape == (shape[1],)


@given(SHAPES)
def test_batch_norm_stats_reference_matches_torch(shape):
    torch = pytest.importorskip("torch")
    x = _input(shape, np.float64, "contiguous", 3.0)
    dims = (0,) + tuple(range(2, len(shape)))
    t = torch.tensor(x)
    mean, var = reference.batch_norm_stats(x)
    assert_same(mean, t.mean(dim=dims).numpy())
    assert_same(var, t.var(dim=dims, unbiased=False).numpy())


@pytest.mark.parametrize("form", [reference, cpu], ids=["reference", "cpu"])
def test_batch_norm_stats_accurate_for_large_offset_float32(form):
    """1e4 + noise of std 1e-2 in float32: E[x²] − E[x]² is off by orders of magnitude
    (or negative); a two-pass variance is right to a few ulps of the noise."""
    x = (1e4 + 1e-2 * make_array((16, 3, 8, 8), np.float64, seed=7)).astype(np.float32)
    exact = x.astype(np.float64)
    mean, var = form.batch_norm_stats(x)
    assert mean.dtype == var.dtype == np.float32
    want = exact.var(axis=(0, 2, 3))
    np.testing.assert_allclose(var, want, rtol=1e-3)
    np.testing.assert_allclose(mean, exact.mean(axis=(0, 2, 3)), rtol=1e-7)
    naive = (x * x).mean(axis=(0, 2, 3)) - x.mean(axis=(0, 2, 3)) ** 2
    assert not np.allclose(naive, want, rtol=1e-1)     # the test would catch the naive form


def test_batch_norm_stats_cpu_compiles_once_per_dtype():
    from minicnn.kernels.cpu.batchnorm import _stats

    for dtype in (np.float32, np.float64):
        cpu.batch_norm_stats(make_array((2, 3, 4, 5), dtype))
    for layout in ("transposed", "sliced"):
        for dtype in (np.float32, np.float64):
            for shape in ((2, 3, 4, 5), (6, 3)):
                x = make_array(shape, dtype, layout)
                assert compiled_once(_stats, lambda: cpu.batch_norm_stats(x))


@pytest.mark.gpu
@given(SHAPES, DTYPES, OFFSETS)
def test_batch_norm_stats_cuda_matches_reference(shape, dtype, offset):
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    x = _input(shape, dtype, "transposed", offset)
    mean, var = cuda.batch_norm_stats(cupy.asarray(x))
    ref_mean, ref_var = reference.batch_norm_stats(x)
    assert_same(mean.get(), ref_mean)
    np.testing.assert_allclose(var.get(), ref_var, rtol=1e-5, atol=1e-12)
