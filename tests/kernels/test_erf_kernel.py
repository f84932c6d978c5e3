"""The erf kernel: cpu form equals the reference form; the dispatch point picks forms."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from minicnn import kernels
from minicnn.kernels import cpu, reference


@given(arrays(st.sampled_from([np.float32, np.float64]), array_shapes(max_dims=3, max_side=7),
              elements=st.floats(-6, 6, width=32)))
def test_cpu_erf_equals_reference(x):
    got, want = cpu.erf(x), reference.erf(x)
    assert got.dtype == x.dtype and got.shape == x.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_reference_erf_values():
    x = np.array([-1.0, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(reference.erf(x), [math.erf(v) for v in x], rtol=1e-15)


def test_cpu_erf_on_non_contiguous_input():
    x = np.linspace(-2, 2, 24).reshape(4, 6).T
    np.testing.assert_allclose(cpu.erf(x), reference.erf(x), rtol=1e-12)


def test_dispatch_picks_cpu_and_reference_forms():
    x = np.zeros(3)
    assert kernels.get("erf", x) is cpu.erf
    with kernels.set_kernels("reference"):
        assert kernels.active_form(x) == "reference" and kernels.get("erf", x) is reference.erf
    assert kernels.get("erf", x) is cpu.erf
    with pytest.raises(ValueError, match="set_kernels: form must be one of"):
        kernels.set_kernels("fast")


@pytest.mark.gpu
def test_cuda_erf_equals_reference():
    import cupy

    from minicnn.kernels import cuda

    x = np.linspace(-4, 4, 1001)
    for dtype in (np.float32, np.float64):
        got = cuda.erf(cupy.asarray(x.astype(dtype)))
        np.testing.assert_allclose(got.get(), reference.erf(x.astype(dtype)), rtol=1e-6)
