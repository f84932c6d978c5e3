"""Winograd F(4×4, 3×3), forward only: the cpu forms equal the reference, and the reference
transforms, chained through their 36 GEMMs, equal a 3×3 stride-1 convolution (PyTorch's in
float64; within float32 rounding of the float64 result in float32)."""
import numpy as np
import pytest
from hypothesis import given
from kernel_cases import DTYPES, LAYOUTS, assert_same, conv3x3_geometry, make_array

from minicnn.kernels import cpu, reference
from minicnn.kernels.shapes import winograd_tiles


def winograd4_geometry():
    """Odd and even output sizes (every size mod 4), padding 0-2, 1×1 outputs."""
    return conv3x3_geometry(14)


def _case(geometry, dtype, layout="contiguous"):
    shape, OC, padding = geometry
    N, C, H, W = shape
    (oh, ow), (th, tw) = winograd_tiles((H, W), padding, 4)
    x = make_array(shape, dtype, layout, seed=1)
    w = make_array((OC, C, 3, 3), dtype, layout, seed=2)
    m = make_array((36, N * th * tw, OC), dtype, layout, seed=4)
    b = make_array((OC,), dtype, seed=6)
    return x, w, m, b, padding, (N, OC, oh, ow)


def _convolve(form, x, w, b, padding, output_shape):
    u = form.winograd4_weight(w)                                       # (36, OC, C)
    v = form.winograd4_input(x, padding)                               # (36, N*T, C)
    return form.winograd4_output(v @ u.swapaxes(1, 2), output_shape, b)


@given(winograd4_geometry(), DTYPES, LAYOUTS)
def test_winograd4_cpu_matches_reference(geometry, dtype, layout):
    x, w, m, b, padding, output_shape = _case(geometry, dtype, layout)
    assert_same(cpu.winograd4_weight(w), reference.winograd4_weight(w))
    assert_same(cpu.winograd4_input(x, padding), reference.winograd4_input(x, padding))
    assert_same(cpu.winograd4_output(m, output_shape, b),
                reference.winograd4_output(m, output_shape, b))
    assert_same(cpu.winograd4_output(m, output_shape), reference.winograd4_output(m, output_shape))
    for form in (cpu, reference):                      # written into a given array
        buffer = np.empty(output_shape, dtype=dtype)
        assert form.winograd4_output(m, output_shape, b, out=buffer) is buffer
        assert_same(buffer, reference.winograd4_output(m, output_shape, b))


@given(winograd4_geometry())
def test_winograd4_reference_is_a_convolution_like_torch(geometry):
    torch = pytest.importorskip("torch")
    x, w, _, b, padding, output_shape = _case(geometry, np.float64)
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b),
                                          padding=padding).numpy()
    assert_same(_convolve(reference, x, w, b, padding, output_shape), expected)


@pytest.mark.parametrize("channels", [16, 256])
def test_winograd4_float32_error_stays_near_float32_rounding(channels):
    """Against the float64 convolution, the float32 F(4×4) result errs by at most 1e-5 of
    the output's largest magnitude (F(2×2) by about 1e-7, im2col by less)."""
    x, w, _, b, padding, output_shape = _case(((2, channels, 12, 12), 8, (1, 1)), np.float64)
    exact = _convolve(reference, x, w, b, padding, output_shape)
    single = _convolve(cpu, *(a.astype(np.float32) for a in (x, w, b)), padding, output_shape)
    assert np.abs(single - exact).max() <= 1e-5 * np.abs(exact).max()
