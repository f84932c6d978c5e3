"""The max_abs kernel: max |a| with inf and NaN kept (NaN above inf), the cpu form equal to
the reference form on every float dtype, layout and size, an empty array included, and on
arrays long enough to be split into runs over the threads."""
import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from minicnn.kernels import cpu, reference
from minicnn.kernels.cpu.max_abs import MIN_RUN


def _read_only(a):
    a = a.view()
    a.flags.writeable = False
    return a


# Views of an array that the cpu form must read like its contiguous copy.
LAYOUT_VIEWS = {"contiguous": lambda a: a, "transposed": lambda a: a.T,
                "sliced": lambda a: a[..., ::2], "read-only": _read_only}


@given(arrays(st.sampled_from([np.float16, np.float32, np.float64]),
              array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=9),
              elements=st.floats(allow_nan=True, allow_infinity=True, width=16)),
       st.sampled_from(sorted(LAYOUT_VIEWS)))
def test_cpu_max_abs_equals_reference(a, layout):
    a = LAYOUT_VIEWS[layout](a)
    got, want = cpu.max_abs(a), reference.max_abs(a)
    assert type(got) is float and type(want) is float
    np.testing.assert_equal(got, want)
    if a.size and not np.isnan(a).any():
        assert want == float(np.abs(a.astype(np.float64)).max())


def test_max_abs_keeps_inf_and_nan_wherever_they_are():
    for form in (cpu, reference):
        a = np.full((3, 5, 7), -0.25, np.float32)
        assert form.max_abs(a) == 0.25
        a[2, 4, 6] = -np.inf
        assert form.max_abs(a) == np.inf
        a[0, 0, 0] = np.nan
        assert np.isnan(form.max_abs(a))
        a[0, 0, 0] = -np.float32(3e38)
        assert form.max_abs(a) == np.inf
        assert form.max_abs(np.zeros((0, 4), np.float64)) == 0.0


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([np.float16, np.float32, np.float64]),
       st.integers(2 * MIN_RUN - 1, 7 * MIN_RUN + 3),
       st.floats(0, 1), st.sampled_from([1e4, -np.inf, np.nan]))
def test_cpu_max_abs_over_runs_finds_the_largest_in_any_run(dtype, size, where, extreme):
    a = np.linspace(-1, 0.5, size).astype(dtype)
    a[int(where * (size - 1))] = extreme
    np.testing.assert_equal(cpu.max_abs(a), reference.max_abs(a))
    np.testing.assert_equal(cpu.max_abs(a[::-1]), reference.max_abs(a))
