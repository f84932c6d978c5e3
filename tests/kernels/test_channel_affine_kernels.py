"""The per-channel affine map of evaluation-mode BatchNorm: the cpu and cuda forms equal the
reference, and the reference equals x·scale + shift written out channel by channel (the
functional op's parity with torch is tested by the batch_norm eval rows of
tests/functional/op_table.py)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_cases import DTYPES, LAYOUTS, compiled_once, cupy_or_skip, make_array

from minicnn.kernels import cpu, reference
from minicnn.kernels.cpu.channel_affine import (PARALLEL_MIN_ELEMENTS, _channel_affine,
                                                _channel_affine_serial)

SHAPES = st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(1, 40))     # (N, C, L)


def _inputs(shape, dtype, layout, seed=3):
    x = make_array(shape, dtype, layout, seed=seed)
    scale = make_array((shape[1],), dtype, seed=seed + 1)
    shift = make_array((shape[1],), dtype, seed=seed + 2)
    return x, scale, shift


@given(SHAPES, DTYPES, LAYOUTS)
def test_channel_affine_cpu_equals_reference(shape, dtype, layout):
    x, scale, shift = _inputs(shape, dtype, layout)
    got = cpu.channel_affine(x, scale, shift)
    want = reference.channel_affine(x, scale, shift)
    assert got.dtype == want.dtype == dtype and got.shape == want.shape == shape
    np.testing.assert_array_equal(got, want)            # the same two roundings per element


@given(SHAPES, DTYPES)
def test_channel_affine_reference_is_the_affine_map(shape, dtype):
    x, scale, shift = _inputs(shape, dtype, "contiguous")
    want = np.empty_like(x)
    for c in range(shape[1]):
        want[:, c] = x[:, c] * scale[c] + shift[c]
    np.testing.assert_array_equal(reference.channel_affine(x, scale, shift), want)


# (N, C, L) just under, at and past the size from which the planes go to the threads; the
# last, many short planes (runs of them ending mid-image)
AROUND_PARALLEL = [(2, 3, PARALLEL_MIN_ELEMENTS // 6 - 1), (2, 4, PARALLEL_MIN_ELEMENTS // 8),
                   (3, 5, PARALLEL_MIN_ELEMENTS // 15 + 7), (33, 401, 10)]


@pytest.mark.parametrize("shape", AROUND_PARALLEL)
def test_channel_affine_cpu_equals_reference_on_both_sides_of_the_thread_split(shape):
    x, scale, shift = _inputs(shape, np.float32, "contiguous")
    np.testing.assert_array_equal(cpu.channel_affine(x, scale, shift),
                                  reference.channel_affine(x, scale, shift))


@pytest.mark.parametrize("kernel, shape", [(_channel_affine_serial, (2, 3, 5)),
                                           (_channel_affine, AROUND_PARALLEL[1])])
def test_channel_affine_cpu_compiles_once_per_dtype(kernel, shape):
    for dtype in (np.float32, np.float64):
        cpu.channel_affine(*_inputs(shape, dtype, "contiguous"))
    for layout in ("transposed", "sliced"):
        for dtype in (np.float32, np.float64):
            args = _inputs(shape, dtype, layout)
            assert compiled_once(kernel, lambda: cpu.channel_affine(*args))


@pytest.mark.gpu
@given(SHAPES, DTYPES)
def test_channel_affine_cuda_matches_reference(shape, dtype):
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    x, scale, shift = _inputs(shape, dtype, "transposed")
    got = cuda.channel_affine(*(cupy.asarray(a) for a in (x, scale, shift)))
    np.testing.assert_allclose(got.get(), reference.channel_affine(x, scale, shift),
                               rtol=1e-6 if dtype == np.float32 else 1e-12)
