"""Shared hypothesis strategies and helpers for the kernel tests (tests/kernels/)."""
import numpy as np
import pytest
from hypothesis import strategies as st

DTYPES = st.sampled_from([np.float32, np.float64])
LAYOUTS = st.sampled_from(["contiguous", "transposed", "sliced"])


@st.composite
def conv3x3_geometry(draw, max_side):
    """(N, C, H, W), out channels, padding of a stride-1 3×3 convolution: padding 0-2, sides
    up to `max_side`, down to a 1×1 output."""
    N, C, OC = draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    H, W = (draw(st.integers(max(1, 3 - 2 * p), max_side)) for p in padding)
    return (N, C, H, W), OC, padding


def tolerance(dtype):
    """rtol/atol for comparing two forms that may add in different orders."""
    return dict(rtol=1e-4, atol=1e-5) if np.dtype(dtype) == np.float32 else \
        dict(rtol=1e-10, atol=1e-12)


def assert_same(got, expected, dtype=None):
    """Same shape, same dtype (the expected one, or `dtype`), values allclose."""
    got, expected = np.asarray(got), np.asarray(expected)
    dtype = np.dtype(dtype or expected.dtype)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert got.dtype == dtype, (got.dtype, dtype)
    np.testing.assert_allclose(got, expected, equal_nan=True, **tolerance(dtype))


def make_array(shape, dtype, layout="contiguous", seed=0, untied=False):
    """An array of `shape`: standard-normal (or a shuffled linspace, `untied`), laid out as
    asked: "contiguous", "transposed" (last two axes swapped in memory) or "sliced"
    (every other element of a wider array along the last axis)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    values = (rng.permutation(np.linspace(-3, 3, n)) if untied
              else rng.standard_normal(n)).astype(dtype).reshape(shape)
    if layout == "contiguous" or len(shape) < 2:
        return values
    if layout == "transposed":
        out = np.ascontiguousarray(np.swapaxes(values, -1, -2)).swapaxes(-1, -2)
    else:
        wide = np.zeros(shape[:-1] + (2 * shape[-1],), dtype=dtype)
        wide[..., ::2] = values
        out = wide[..., ::2]
    np.testing.assert_array_equal(out, values)
    return out


@st.composite
def conv_geometry(draw, dilation=True, max_kernel=4):
    """(N, C, H, W), kernel, stride, padding, dilation as (h, w) pairs, with at least one
    output position: stride 1 about half the time (the cpu forms' unit-stride paths),
    else up to 5 (often larger than the kernel), padding up to half the kernel,
    dilation 1-3, odd and tiny sizes, batch 1."""
    N = draw(st.integers(1, 3))
    C = draw(st.integers(1, 4))
    kernel, stride, padding, dil, size = [], [], [], [], []
    for _ in range(2):
        k = draw(st.integers(1, max_kernel))
        d = draw(st.integers(1, 3)) if dilation else 1
        p = draw(st.integers(0, k // 2))
        span = d * (k - 1) + 1
        lowest = max(1, span - 2 * p)
        kernel.append(k)
        stride.append(draw(st.one_of(st.just(1), st.integers(1, 5))))  # often 1: fast paths
        padding.append(p)
        dil.append(d)
        size.append(draw(st.integers(lowest, lowest + 9)))
    return (N, C, size[0], size[1]), tuple(kernel), tuple(stride), tuple(padding), tuple(dil)


def cupy_or_skip():
    return pytest.importorskip("cupy")


def compiled_once(dispatcher, call):
    """Run `call` and say whether the Numba `dispatcher` compiled nothing new."""
    before = len(dispatcher.signatures)
    call()
    return len(dispatcher.signatures) == before
