"""Softmax and log-softmax over rows: the cpu and cuda forms equal the reference, the
reference equals torch, and logits of 1e4 stay finite."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_cases import DTYPES, LAYOUTS, assert_same, compiled_once, cupy_or_skip, make_array

from minicnn.kernels import cpu, reference

SHAPES = st.tuples(st.integers(1, 6), st.integers(1, 300))
SCALES = st.sampled_from([1.0, 30.0, 1e4])


@given(SHAPES, DTYPES, LAYOUTS, SCALES)
def test_softmax_cpu_matches_reference(shape, dtype, layout, scale):
    x = (make_array(shape, dtype, layout, seed=1) * scale).astype(dtype)
    assert_same(cpu.softmax_rows(x), reference.softmax_rows(x))
    assert_same(cpu.log_softmax_rows(x), reference.log_softmax_rows(x))


@given(SHAPES, SCALES)
def test_softmax_reference_matches_torch(shape, scale):
    torch = pytest.importorskip("torch")
    x = make_array(shape, np.float64, seed=1) * scale
    assert_same(reference.softmax_rows(x), torch.softmax(torch.tensor(x), dim=1).numpy())
    assert_same(reference.log_softmax_rows(x),
                torch.log_softmax(torch.tensor(x), dim=1).numpy())


@pytest.mark.parametrize("form", [reference, cpu], ids=["reference", "cpu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_finite_for_huge_logits(form, dtype):
    x = np.array([[1e4, 1e4 - 1, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    y, logy = form.softmax_rows(x), form.log_softmax_rows(x)
    assert y.dtype == logy.dtype == dtype
    assert np.isfinite(y).all() and np.isfinite(logy).all()
    np.testing.assert_allclose(y.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(logy[0, :2], [-np.log1p(np.exp(-1)), -1 - np.log1p(np.exp(-1))],
                               rtol=1e-6)


def test_softmax_nan_propagates():
    x = np.array([[0.0, np.nan, 1.0], [0.0, 1.0, 2.0]])
    for form in (reference, cpu):
        assert np.isnan(form.softmax_rows(x)[0]).all()
        assert np.isfinite(form.log_softmax_rows(x)[1]).all()


def test_softmax_cpu_compiles_once_per_dtype():
    from minicnn.kernels.cpu.softmax import _softmax

    for dtype in (np.float32, np.float64):
        x = make_array((3, 5), dtype)
        cpu.softmax_rows(x), cpu.log_softmax_rows(x)
    for layout in ("transposed", "sliced"):
        for dtype in (np.float32, np.float64):
            x = make_array((4, 7), dtype, layout)
            assert compiled_once(_softmax, lambda: cpu.softmax_rows(x))
            assert compiled_once(_softmax, lambda: cpu.log_softmax_rows(x))


@pytest.mark.gpu
@given(st.tuples(st.integers(1, 6), st.integers(1, 2000)), DTYPES, SCALES)
def test_softmax_cuda_matches_reference(shape, dtype, scale):
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    x = (make_array(shape, dtype, "transposed", seed=1) * scale).astype(dtype)
    assert_same(cuda.softmax_rows(cupy.asarray(x)).get(), reference.softmax_rows(x))
    assert_same(cuda.log_softmax_rows(cupy.asarray(x)).get(), reference.log_softmax_rows(x))
