"""The forward-only Winograd algorithms, F(4×4, 3×3) ("winograd4") and F(2×2, 5×5)
("winograd5"): the cpu forms equal the reference, and the transforms, chained through their
36 GEMMs, equal a stride-1 convolution (PyTorch's in float64; in float32 near float32
rounding of the output's scale)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_cases import DTYPES, LAYOUTS, assert_same, make_array, stride1_geometry

from minicnn.kernels import cpu, reference
from minicnn.kernels.shapes import winograd_tiles

# kernel prefix: output tile, window, largest input side drawn (every output size mod the
# tile, padding up to window − 1, 1×1 outputs), float32 error allowed against float64 as a
# share of the output's largest magnitude (measured: about 3e-6 and 2e-6, where a direct
# float32 convolution errs by about 4e-7)
VARIANTS = {"winograd4": (4, 3, 14, 1e-5), "winograd5": (2, 5, 13, 5e-6)}


@st.composite
def cases(draw):
    """A variant of VARIANTS and a geometry for it."""
    name = draw(st.sampled_from(sorted(VARIANTS)))
    _, window, max_side, _ = VARIANTS[name]
    return name, draw(stride1_geometry(max_side, kernel=window))


def _kernels(form, name):
    return (getattr(form, f"{name}_weight"), getattr(form, f"{name}_input"),
            getattr(form, f"{name}_output"))


def _case(name, geometry, dtype, layout="contiguous"):
    tile, window = VARIANTS[name][:2]
    shape, OC, padding = geometry
    N, C, H, W = shape
    (oh, ow), (th, tw) = winograd_tiles((H, W), padding, tile, window)
    x = make_array(shape, dtype, layout, seed=1)
    w = make_array((OC, C, window, window), dtype, layout, seed=2)
    m = make_array((36, N * th * tw, OC), dtype, layout, seed=4)
    b = make_array((OC,), dtype, seed=6)
    return x, w, m, b, padding, (N, OC, oh, ow)


def _convolve(form, name, x, w, b, padding, output_shape):
    weight, inputs, output = _kernels(form, name)
    u = weight(w)                                                       # (36, OC, C)
    v = inputs(x, padding)                                              # (36, N*T, C)
    return output(v @ u.swapaxes(1, 2), output_shape, b)


@given(cases(), DTYPES, LAYOUTS)
def test_cpu_forms_match_reference(case, dtype, layout):
    name, geometry = case
    x, w, m, b, padding, output_shape = _case(name, geometry, dtype, layout)
    (cpu_weight, cpu_input, cpu_output), (ref_weight, ref_input, ref_output) = (
        _kernels(cpu, name), _kernels(reference, name))
    assert_same(cpu_weight(w), ref_weight(w))
    assert_same(cpu_input(x, padding), ref_input(x, padding))
    assert_same(cpu_output(m, output_shape, b), ref_output(m, output_shape, b))
    assert_same(cpu_output(m, output_shape), ref_output(m, output_shape))
    for output in (cpu_output, ref_output):               # written into a given array
        buffer = np.empty(output_shape, dtype=dtype)
        assert output(m, output_shape, b, out=buffer) is buffer
        assert_same(buffer, ref_output(m, output_shape, b))


@given(cases())
def test_both_forms_are_a_convolution_like_torch(case):
    torch = pytest.importorskip("torch")
    name, geometry = case
    x, w, _, b, padding, output_shape = _case(name, geometry, np.float64)
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b),
                                          padding=padding).numpy()
    for form in (reference, cpu):
        assert_same(_convolve(form, name, x, w, b, padding, output_shape), expected)


def test_both_share_one_input_transform():
    """Bᵀ holds the Lagrange numerators of the interpolation points alone, and both take
    0, ±1, ±2 and ∞."""
    from minicnn.kernels.reference import winograd4, winograd5
    np.testing.assert_array_equal(winograd5.B5_T, winograd4.B4_T)


@pytest.mark.parametrize("name", sorted(VARIANTS))
@pytest.mark.parametrize("channels", [16, 256])
def test_float32_error_stays_near_float32_rounding(name, channels):
    allowed = VARIANTS[name][3]
    x, w, _, b, padding, output_shape = _case(name, ((2, channels, 14, 13), 8, (2, 2)),
                                              np.float64)
    exact = _convolve(reference, name, x, w, b, padding, output_shape)
    single = _convolve(cpu, name, *(a.astype(np.float32) for a in (x, w, b)), padding,
                       output_shape)
    assert np.abs(single - exact).max() <= allowed * np.abs(exact).max()
