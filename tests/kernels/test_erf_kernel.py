"""The erf kernel: the cpu and cuda forms equal the reference form (sizes around the cuda
launch's blocks, layouts, NaN, ±0 and ±∞ too); the dispatch point picks forms."""
import math

import numpy as np
import pytest
from hypothesis import example, given, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from kernel_cases import BLOCK_EDGES, FORMS, kernels_of
from minicnn import kernels
from minicnn.kernels import cpu, reference


def tolerance(dtype):
    """erff and erf within a few ulps of the correctly rounded value."""
    return dict(rtol=1e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-14, atol=1e-16)


def _examples(test):
    for n in BLOCK_EDGES:
        test = example(x=np.linspace(-4, 4, n).astype(np.float32))(test)
    return example(x=np.linspace(-6, 6, 1031))(test)


@pytest.mark.parametrize("form", FORMS)
@_examples
@given(x=arrays(st.sampled_from([np.float32, np.float64]),
                array_shapes(max_dims=3, max_side=7), elements=st.floats(-6, 6, width=32)))
def test_erf_forms_equal_reference(form, x):
    got, want = kernels_of(form).erf(x), reference.erf(x)
    assert got.dtype == x.dtype and got.shape == x.shape
    np.testing.assert_allclose(got, want, **tolerance(x.dtype))


def test_reference_erf_values():
    x = np.array([-1.0, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(reference.erf(x), [math.erf(v) for v in x], rtol=1e-15)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("layout", ["transposed", "sliced"])
def test_erf_on_non_contiguous_input(form, layout):
    x = np.linspace(-2, 2, 24).reshape(4, 6)
    x = x.T if layout == "transposed" else np.linspace(-2, 2, 48).reshape(4, 12)[:, ::2]
    np.testing.assert_allclose(kernels_of(form).erf(x), reference.erf(x), rtol=1e-12)


@pytest.mark.parametrize("form", ("reference",) + FORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_special_values(form, dtype):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 7.0, -7.0], dtype=dtype)
    want = np.array([math.erf(v) for v in x.astype(np.float64)]).astype(dtype)
    got = kernels_of(form).erf(x)
    np.testing.assert_allclose(got, want, equal_nan=True, **tolerance(dtype))
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_dispatch_picks_cpu_and_reference_forms():
    x = np.zeros(3)
    assert kernels.get("erf", x) is cpu.erf
    with kernels.set_kernels("reference"):
        assert kernels.active_form(x) == "reference" and kernels.get("erf", x) is reference.erf
    assert kernels.get("erf", x) is cpu.erf
    with pytest.raises(ValueError, match="set_kernels: form must be one of"):
        kernels.set_kernels("fast")
