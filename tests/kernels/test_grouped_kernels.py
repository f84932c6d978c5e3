"""Direct grouped convolution: the cpu form equals the reference (groups of one to five
channels and output channels, stride, padding, dilation, more blocks of images than the
weight gradient's slots, inputs and weights that hold an inf), the reference equals
PyTorch's conv2d with groups (forward and both gradients through autograd). The cuda form
is a declared fallback: conv2d's selector sends CuPy arrays to im2col + cuBLAS."""
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from kernel_cases import DTYPES, LAYOUTS, assert_same, conv_geometry, make_array

from minicnn.kernels import cpu, reference
from minicnn.kernels.cpu.depthwise import GRAD_WEIGHT_SLOTS
from minicnn.kernels.shapes import conv_output_shape

GROUPS = st.integers(1, 3)
WIDTHS = st.integers(1, 5)          # channels a group: input and output


def _case(geometry, groups, in_width, out_width, dtype, layout="contiguous"):
    """x, w, dY and (stride, padding, dilation) of a convolution with `groups` groups of
    `in_width` input and `out_width` output channels; the geometry's channel count is
    replaced by groups · in_width."""
    (N, _, H, W), kernel, stride, padding, dilation = geometry
    x = make_array((N, groups * in_width, H, W), dtype, layout, seed=1)
    w = make_array((groups * out_width, in_width) + kernel, dtype, layout, seed=2)
    g = make_array((N, groups * out_width)
                   + conv_output_shape((H, W), kernel, stride, padding, dilation),
                   dtype, layout, seed=3)
    return x, w, g, (stride, padding, dilation, groups)


def _assert_cpu_equals_reference(x, w, g, args):
    """The forward and both gradients of the cpu form equal the reference's."""
    assert_same(cpu.grouped_conv2d(x, w, *args), reference.grouped_conv2d(x, w, *args))
    assert_same(cpu.grouped_conv2d_grad_input(g, w, x.shape, *args),
                reference.grouped_conv2d_grad_input(g, w, x.shape, *args))
    assert_same(cpu.grouped_conv2d_grad_weight(x, g, w.shape, *args),
                reference.grouped_conv2d_grad_weight(x, g, w.shape, *args))


@example(geometry=((2, 1, 9, 8), (3, 3), (1, 1), (1, 1), (1, 1)), groups=3, in_width=4,
         out_width=4, dtype=np.float32, layout="contiguous")         # ResNeXt's blocks of 4
@example(geometry=((3, 1, 9, 8), (3, 2), (2, 3), (1, 1), (2, 1)), groups=2, in_width=5,
         out_width=3, dtype=np.float64, layout="sliced")              # every block padded
@given(geometry=conv_geometry(), groups=GROUPS, in_width=WIDTHS, out_width=WIDTHS,
       dtype=DTYPES, layout=LAYOUTS)
def test_grouped_cpu_matches_reference(geometry, groups, in_width, out_width, dtype, layout):
    _assert_cpu_equals_reference(*_case(geometry, groups, in_width, out_width, dtype, layout))


@given(conv_geometry(), GROUPS, WIDTHS, WIDTHS)
def test_grouped_reference_matches_torch(geometry, groups, in_width, out_width):
    torch = pytest.importorskip("torch")
    x, w, g, args = _case(geometry, groups, in_width, out_width, np.float64)
    stride, padding, dilation, _ = args
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, stride=stride, padding=padding, dilation=dilation,
                                    groups=groups)
    ty.backward(torch.tensor(g))
    assert_same(reference.grouped_conv2d(x, w, *args), ty.detach().numpy())
    assert_same(reference.grouped_conv2d_grad_input(g, w, x.shape, *args), tx.grad.numpy())
    assert_same(reference.grouped_conv2d_grad_weight(x, g, w.shape, *args), tw.grad.numpy())


@pytest.mark.parametrize("images_per_buffer", [1, 2, 5])
@pytest.mark.parametrize("stride", [(1, 1), (2, 3)])
def test_grouped_blocks_of_images_match_reference(monkeypatch, images_per_buffer, stride):
    """Each buffer stacks a block of images: one, an uneven split of the batch, or all of
    it (with stride 1, and split into the phases of a (2, 3) stride)."""
    from minicnn.kernels.cpu import grouped as module

    geometry = ((5, 1, 6, 7), (3, 2), stride, (1, 1), (2, 1))
    monkeypatch.setattr(module, "STACK_ELEMENTS", images_per_buffer * (6 + 2) * (7 + 2) * 3)
    _assert_cpu_equals_reference(*_case(geometry, 2, 3, 5, np.float64))


def test_grouped_weight_gradient_over_more_blocks_than_slots(monkeypatch):
    """More blocks of images than the weight gradient's slots: slots sum several blocks."""
    from minicnn.kernels.cpu import grouped as module

    geometry = ((module.GRAD_WEIGHT_SLOTS + 3, 1, 5, 4), (3, 3), (1, 1), (1, 1), (1, 1))
    monkeypatch.setattr(module, "STACK_ELEMENTS", 1)                    # one image a block
    _assert_cpu_equals_reference(*_case(geometry, 2, 2, 3, np.float64))


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_grouped_non_finite_values_reach_only_what_they_touch(bad):
    """An inf or a NaN in the input or the weights gives the reference's result: the cpu
    form's padded blocks and junk columns never multiply it."""
    geometry = ((2, 1, 7, 6), (3, 3), (1, 1), (1, 1), (1, 1))
    x, w, g, args = _case(geometry, 2, 3, 3, np.float32)
    x[1, 4, 3, 2] = bad
    w[5, 2, 0, 1] = bad
    with np.errstate(invalid="ignore"):                  # inf · 0 in the reference's sums
        _assert_cpu_equals_reference(x, w, g, args)


def test_grouped_gradients_have_the_same_bits_at_one_and_three_threads():
    """Every output and gradient element is summed in one fixed order, whichever thread
    runs which block (the weight gradient's slots are added in slot order)."""
    import minicnn as mc

    geometry = ((GRAD_WEIGHT_SLOTS + 5, 1, 6, 5), (3, 3), (1, 1), (1, 1), (1, 1))
    x, w, g, args = _case(geometry, 3, 4, 4, np.float32)
    before = mc.get_num_threads()
    results = []
    try:
        for threads in (1, 3):
            mc.set_num_threads(threads)
            results.append([cpu.grouped_conv2d(x, w, *args),
                            cpu.grouped_conv2d_grad_input(g, w, x.shape, *args),
                            cpu.grouped_conv2d_grad_weight(x, g, w.shape, *args)])
    finally:
        mc.set_num_threads(before)
    for one, three in zip(*results):
        np.testing.assert_array_equal(one, three)
