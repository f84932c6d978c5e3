"""linear_few_rows: the cpu form equals the reference on hypothesis-drawn shapes, layouts
and dtypes (odd output counts, rows padded up to LINEAR_FEW_ROWS, an empty inner
dimension), non-finite values included; both refuse more rows; the cpu form's sums do not
depend on the thread count."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_cases import DTYPES, LAYOUTS, assert_same, compiled_once, make_array

import minicnn as mc
from minicnn.kernels import cpu, reference
from minicnn.kernels.shapes import LINEAR_FEW_ROWS

SHAPES = st.tuples(st.integers(0, LINEAR_FEW_ROWS), st.integers(1, 37), st.integers(0, 70))


@given(SHAPES, DTYPES, LAYOUTS, LAYOUTS)
def test_cpu_matches_reference(shape, dtype, x_layout, w_layout):
    M, O, K = shape
    x = make_array((M, K), dtype, x_layout, seed=1)
    w = make_array((O, K), dtype, w_layout, seed=2)
    got = cpu.linear_few_rows(x, w)
    assert got.flags.c_contiguous
    assert_same(got, reference.linear_few_rows(x, w))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@given(SHAPES.filter(lambda s: s[0] and s[2]), st.data())
def test_non_finite_values_reach_the_outputs_they_meet(shape, data):
    M, O, K = shape
    x, w = make_array((M, K), np.float32, seed=1), make_array((O, K), np.float32, seed=2)
    for a in (x, w):
        spot = data.draw(st.integers(0, a.size - 1), label="spot")
        a.flat[spot] = data.draw(st.sampled_from([np.inf, -np.inf, np.nan]), label="value")
    assert_same(cpu.linear_few_rows(x, w), reference.linear_few_rows(x, w))


@pytest.mark.parametrize("form", [cpu, reference])
def test_more_rows_than_one_pass_serves_are_refused(form):
    x = np.zeros((LINEAR_FEW_ROWS + 1, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=rf"linear_few_rows: x has {LINEAR_FEW_ROWS + 1} "
                                         rf"rows, more than LINEAR_FEW_ROWS={LINEAR_FEW_ROWS}"):
        form.linear_few_rows(x, np.zeros((2, 3), dtype=np.float32))


def test_the_same_bits_at_one_and_three_threads():
    """Each output is one thread's dot product, summed in one order."""
    x = make_array((5, 1000), np.float32, seed=1)
    w = make_array((301, 1000), np.float32, seed=2)
    before = mc.get_num_threads()
    results = []
    try:
        for threads in (1, 3):
            mc.set_num_threads(threads)
            results.append(cpu.linear_few_rows(x, w))
    finally:
        mc.set_num_threads(before)
    np.testing.assert_array_equal(*results)


def test_compiles_once_per_dtype():
    from minicnn.kernels.cpu import linear
    for dtype in (np.float32, np.float64):
        cpu.linear_few_rows(np.ones((2, 3), dtype), np.ones((4, 3), dtype))
        assert compiled_once(linear._pairs, lambda: cpu.linear_few_rows(
            np.ones((7, 5), dtype), np.ones((3, 5), dtype)[:, ::-1]))
