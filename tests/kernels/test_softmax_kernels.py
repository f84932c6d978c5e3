"""Softmax and log-softmax over rows: the cpu and cuda forms equal the reference (rows
shorter and longer than the cuda form's block of 256 threads), the reference equals
torch, logits of 1e4 stay finite and NaN propagates in every form."""
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from kernel_cases import (BLOCK_EDGES, DTYPES, FORMS, LAYOUTS, assert_same, compiled_once,
                          kernels_of, make_array)

from minicnn.kernels import cpu, reference

SHAPES = st.tuples(st.integers(1, 6), st.integers(1, 300))
# rows within one block, around it, and spanning several (a thread sums K / 256 entries)
LONG_SHAPES = st.tuples(st.integers(1, 4), st.one_of(st.sampled_from(BLOCK_EDGES),
                                                     st.integers(257, 1100)))
SCALES = st.sampled_from([1.0, 30.0, 1e4])


@pytest.mark.parametrize("form", FORMS)
@example(shape=(2, 256), dtype=np.float32, layout="contiguous", scale=1e4)
@example(shape=(3, 257), dtype=np.float64, layout="transposed", scale=30.0)
@given(shape=st.one_of(SHAPES, LONG_SHAPES), dtype=DTYPES, layout=LAYOUTS, scale=SCALES)
def test_softmax_forms_match_reference(form, shape, dtype, layout, scale):
    kernels = kernels_of(form)
    x = (make_array(shape, dtype, layout, seed=1) * scale).astype(dtype)
    assert_same(kernels.softmax_rows(x), reference.softmax_rows(x))
    assert_same(kernels.log_softmax_rows(x), reference.log_softmax_rows(x))


@given(SHAPES, SCALES)
def test_softmax_reference_matches_torch(shape, scale):
    torch = pytest.importorskip("torch")
    x = make_array(shape, np.float64, seed=1) * scale
    assert_same(reference.softmax_rows(x), torch.softmax(torch.tensor(x), dim=1).numpy())
    assert_same(reference.log_softmax_rows(x),
                torch.log_softmax(torch.tensor(x), dim=1).numpy())


@pytest.mark.parametrize("form", ("reference",) + FORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_finite_for_huge_logits(form, dtype):
    kernels = kernels_of(form)
    x = np.array([[1e4, 1e4 - 1, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    y, logy = kernels.softmax_rows(x), kernels.log_softmax_rows(x)
    assert y.dtype == logy.dtype == dtype
    assert np.isfinite(y).all() and np.isfinite(logy).all()
    np.testing.assert_allclose(y.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(logy[0, :2], [-np.log1p(np.exp(-1)), -1 - np.log1p(np.exp(-1))],
                               rtol=1e-6)


@pytest.mark.parametrize("form", ("reference",) + FORMS)
def test_softmax_nan_propagates(form):
    kernels = kernels_of(form)
    x = np.array([[0.0, np.nan, 1.0], [0.0, 1.0, 2.0]])
    assert np.isnan(kernels.softmax_rows(x)[0]).all()
    assert np.isfinite(kernels.log_softmax_rows(x)[1]).all()


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


@pytest.mark.parametrize("form", ("reference",) + FORMS)
def test_softmax_float32_long_row_keeps_terms_below_half_an_ulp(form):
    """A float32 row of 256 zeros then 255744 logits whose exp is below half an ulp of 1: a
    running float sum that starts at a 1 drops every such term (Σ exp off by 5e-5 relative),
    a compensated one keeps them."""
    kernels = kernels_of(form)
    tiny = np.float32(np.log(0.9 * 2.0**-24))
    x = np.full((1, 256 * 1000), tiny, dtype=np.float32)
    x[0, :256] = 0
    exact = x.astype(np.float64)
    np.testing.assert_allclose(kernels.softmax_rows(x), reference.softmax_rows(exact),
                               rtol=2e-6, atol=0)
    np.testing.assert_allclose(kernels.log_softmax_rows(x), reference.log_softmax_rows(exact),
                               rtol=0, atol=1e-5)
