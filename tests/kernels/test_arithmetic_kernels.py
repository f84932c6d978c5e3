"""The sum, difference and product kernels: the cpu form equals the reference bit for bit
on hypothesis-drawn arrays (shapes that broadcast, mixed dtypes and layouts, which take
NumPy's ufunc; long ones, which are split into runs over the threads), in place too, with
NaN, ±0 and ±∞ where they are; an in-place call into a read-only array is refused as
NumPy refuses it."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes

from kernel_cases import DTYPES, LAYOUTS, make_array
from minicnn.kernels import cpu, reference
from minicnn.kernels.cpu.arithmetic import MIN_RUN

# ∞ − ∞, 0 · ∞ and NaN cast to an integer warn in NumPy's ufuncs, as they should
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")

OPERATIONS = ("add", "subtract", "multiply")
SPECIALS = (np.nan, np.inf, -np.inf, 0.0, -0.0)


def _with_specials(a, seed):
    """a with a few of NaN, ±∞ and ±0 at drawn places."""
    rng = np.random.default_rng(seed)
    flat = a.reshape(-1) if a.flags.c_contiguous else None
    if flat is not None and a.size:
        flat[rng.integers(0, a.size, 5)] = rng.choice(SPECIALS, 5)
    return a


def _assert_identical(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("name", OPERATIONS)
@given(shape=array_shapes(max_dims=4, max_side=9), dtype=DTYPES, layout=LAYOUTS,
       broadcast=st.booleans(), other_dtype=st.sampled_from([None, np.float32, np.int64]),
       seed=st.integers(0, 2**16))
def test_cpu_forms_equal_reference_on_any_operands(name, shape, dtype, layout, broadcast,
                                                   other_dtype, seed):
    a = _with_specials(make_array(shape, dtype, layout, seed=seed), seed)
    b_shape = shape[-1:] if broadcast else shape
    b = _with_specials(make_array(b_shape, dtype, "contiguous", seed=seed + 1), seed + 1)
    if other_dtype is not None:
        b = (b * 4).astype(other_dtype) if other_dtype == np.int64 else b.astype(other_dtype)
    _assert_identical(getattr(cpu, name)(a, b), getattr(reference, name)(a, b))


@pytest.mark.parametrize("name", OPERATIONS)
@settings(max_examples=25, deadline=None)
@given(size=st.integers(2 * MIN_RUN - 1, 9 * MIN_RUN + 7), dtype=DTYPES,
       in_place=st.booleans(), seed=st.integers(0, 2**16))
def test_cpu_runs_cover_every_element(name, size, dtype, in_place, seed):
    """Lengths from one run to many (not a multiple of the run count), out of place and in
    place: every element equals the reference's."""
    a = _with_specials(make_array((size,), dtype, seed=seed), seed)
    b = _with_specials(make_array((size,), dtype, seed=seed + 1), seed + 1)
    want = getattr(reference, name)(a, b)
    if in_place:
        assert getattr(cpu, name)(a, b, out=a) is a
        _assert_identical(a, want)
    else:
        got = getattr(cpu, name)(a, b)
        assert got is not a and got is not b
        _assert_identical(got, want)


def test_a_sum_into_its_own_operand_twice():
    a = make_array((3 * MIN_RUN,), np.float32, seed=1)
    want = a + a
    assert cpu.add(a, a, out=a) is a
    _assert_identical(a, want)


@pytest.mark.parametrize("size", [4, 4 * MIN_RUN])
def test_in_place_into_a_read_only_array_is_refused_as_numpy_refuses_it(size):
    a = np.ones(size, np.float32)
    a.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        cpu.add(a, np.ones(size, np.float32), out=a)
