"""Direct depthwise convolution: the cpu and cuda forms equal the reference (multiplier
above 1, stride, padding, dilation, and weight-gradient sums over more than the cuda form's
block of 256 threads), the reference equals PyTorch's conv2d with groups=C (forward and both
gradients through autograd)."""
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from kernel_cases import (DTYPES, FORMS, LAYOUTS, assert_same, conv_geometry,
                          kernels_of, make_array, stride1_geometry)

from minicnn.kernels import cpu, reference
from minicnn.kernels.shapes import conv_output_shape

MULTIPLIERS = st.integers(1, 3)


def _case(geometry, m, dtype, layout="contiguous"):
    shape, kernel, stride, padding, dilation = geometry
    N, C, H, W = shape
    x = make_array(shape, dtype, layout, seed=1)
    w = make_array((C * m, 1) + kernel, dtype, layout, seed=2)
    g = make_array((N, C * m) + conv_output_shape((H, W), kernel, stride, padding, dilation),
                   dtype, layout, seed=3)
    return x, w, g, (stride, padding, dilation)


def _assert_form_equals_reference(x, w, g, args, form="cpu"):
    """The forward and both gradients of `form` equal the reference's."""
    kernels = kernels_of(form)
    assert_same(kernels.depthwise_conv2d(x, w, *args), reference.depthwise_conv2d(x, w, *args))
    assert_same(kernels.depthwise_conv2d_grad_input(g, w, x.shape, *args),
                reference.depthwise_conv2d_grad_input(g, w, x.shape, *args))
    assert_same(kernels.depthwise_conv2d_grad_weight(x, g, w.shape, *args),
                reference.depthwise_conv2d_grad_weight(x, g, w.shape, *args))


@pytest.mark.parametrize("form", FORMS)
@example(geometry=((3, 2, 11, 12), (3, 3), (1, 1), (1, 1), (1, 1)), m=2, dtype=np.float64,
         layout="contiguous")                                  # N·oh·ow = 396 per weight
@example(geometry=((2, 3, 9, 8), (3, 2), (2, 3), (1, 1), (2, 1)), m=3, dtype=np.float32,
         layout="sliced")
@given(geometry=conv_geometry(), m=MULTIPLIERS, dtype=DTYPES, layout=LAYOUTS)
def test_depthwise_forms_match_reference(form, geometry, m, dtype, layout):
    x, w, g, args = _case(geometry, m, dtype, layout)
    _assert_form_equals_reference(x, w, g, args, form)


@given(conv_geometry(), MULTIPLIERS)
def test_depthwise_reference_matches_torch(geometry, m):
    torch = pytest.importorskip("torch")
    x, w, g, (stride, padding, dilation) = _case(geometry, m, np.float64)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, stride=stride, padding=padding, dilation=dilation,
                                    groups=x.shape[1])
    ty.backward(torch.tensor(g))
    args = (stride, padding, dilation)
    assert_same(reference.depthwise_conv2d(x, w, *args), ty.detach().numpy())
    assert_same(reference.depthwise_conv2d_grad_input(g, w, x.shape, *args), tx.grad.numpy())
    assert_same(reference.depthwise_conv2d_grad_weight(x, g, w.shape, *args), tw.grad.numpy())


def test_depthwise_cpu_compiles_once_per_dtype():
    from minicnn.kernels.cpu import depthwise as module
    from minicnn.kernels.cpu import depthwise3x3

    kernels = [getattr(m, name) for m in (module, depthwise3x3)
               for name in ("_forward", "_grad_input", "_grad_weight")]

    def run_all(x, w, g, args):
        cpu.depthwise_conv2d(x, w, *args)
        cpu.depthwise_conv2d_grad_input(g, w, x.shape, *args)
        cpu.depthwise_conv2d_grad_weight(x, g, w.shape, *args)

    geometries = [((2, 3, 6, 5), (3, 3), (1, 2), (1, 1), (1, 1)),     # strided
                  ((2, 3, 6, 5), (3, 2), (1, 1), (1, 1), (2, 1)),     # unit stride
                  ((2, 3, 6, 5), (3, 3), (1, 1), (1, 0), (1, 1))]     # 3×3, unrolled
    for geometry in geometries:
        for dtype in (np.float32, np.float64):
            run_all(*_case(geometry, 2, dtype))
    counts = [len(k.signatures) for k in kernels]
    for geometry in geometries:
        for layout in ("transposed", "sliced"):
            for dtype in (np.float32, np.float64):
                run_all(*_case(geometry, 2, dtype, layout))
    assert [len(k.signatures) for k in kernels] == counts


@pytest.mark.parametrize("images_per_buffer", [1, 2, 5])
@pytest.mark.parametrize("stride", [(1, 1), (2, 3)])
def test_depthwise_groups_of_images_match_reference(monkeypatch, images_per_buffer, stride):
    """Each buffer stacks a group of images: one, an uneven split of the batch, or all of it
    (with stride 1, and split into the phases of a (2, 3) stride)."""
    from minicnn.kernels.cpu import depthwise as module

    geometry = ((5, 3, 6, 7), (3, 2), stride, (1, 1), (2, 1))
    padded = (6 + 2) * (7 + 2)
    monkeypatch.setattr(module, "STACK_ELEMENTS", images_per_buffer * padded)
    x, w, g, args = _case(geometry, 2, np.float64)
    _assert_form_equals_reference(x, w, g, args)


def test_depthwise_weight_gradient_over_more_groups_than_slots(monkeypatch):
    """More groups of images than the weight gradient's slots: slots sum several groups."""
    from minicnn.kernels.cpu import depthwise as module

    geometry = ((module.GRAD_WEIGHT_SLOTS + 3, 2, 5, 4), (3, 3), (1, 1), (1, 1), (1, 1))
    monkeypatch.setattr(module, "STACK_ELEMENTS", (5 + 2) * (4 + 2))   # one image a group
    x, w, g, args = _case(geometry, 1, np.float64)
    _assert_form_equals_reference(x, w, g, args)


def _without_general_kernels(patch):
    """The phase-plane kernels of depthwise.py replaced by None: a call would fail."""
    from minicnn.kernels.cpu import depthwise as module

    for name in ("_forward", "_grad_input", "_grad_weight"):
        patch.setattr(module, name, None)


@example(geometry=((17, 2, 5, 4), 2, (1, 1)), m=1, dtype=np.float64, layout="contiguous")
@given(geometry=stride1_geometry(max_side=12), m=MULTIPLIERS, dtype=DTYPES, layout=LAYOUTS)
def test_depthwise_3x3_stride_1_takes_the_unrolled_kernels(geometry, m, dtype, layout):
    """3×3 at stride 1, padding 0-2, multiplier 1-3: the unrolled kernels of
    depthwise3x3.py alone, equal to the reference (the example has more images than the
    weight gradient's slots)."""
    (N, C, H, W), _, padding = geometry
    x, w, g, args = _case(((N, C, H, W), (3, 3), (1, 1), padding, (1, 1)), m, dtype, layout)
    with pytest.MonkeyPatch.context() as patch:
        _without_general_kernels(patch)
        _assert_form_equals_reference(x, w, g, args)


@pytest.mark.parametrize("where", ["input", "weight"])
def test_depthwise_3x3_gradients_leave_nonfinite_values_to_the_reference(where):
    """An inf in x (weight gradient) or in w (input gradient) meets the unrolled kernels'
    padding and wide-row zeros: those gradients come from the reference, NaN where its own
    products make one and nowhere else."""
    x, w, g, args = _case(((2, 3, 6, 7), (3, 3), (1, 1), (1, 1), (1, 1)), 2, np.float64)
    if where == "input":
        x[1, 1, 2, 6] = np.inf                          # its last column: wide rows' junk
    else:
        w[1, 0, 2, 2] = np.inf                          # a corner tap: dY's padding
    with np.errstate(invalid="ignore"):                 # the forward's own 0 · inf
        _assert_form_equals_reference(x, w, g, args)


def _channels_last_forms(x, w, g, stride, padding, dilation):
    """The three channels-last kernels, called directly (whatever the map size)."""
    from minicnn.kernels.cpu import depthwise_channels_last as channels_last
    from minicnn.kernels.shapes import pair

    x, w, g = (np.ascontiguousarray(a) for a in (x, w, g))
    pairs = tuple(map(pair, (stride, padding, dilation)))
    return (channels_last.forward(x, w, np.empty_like(g), *pairs),
            channels_last.grad_input(g, w, np.empty_like(x), *pairs),
            channels_last.grad_weight(x, g, np.empty_like(w), *pairs))


@given(conv_geometry(), DTYPES, LAYOUTS)
def test_depthwise_channels_last_matches_reference(geometry, dtype, layout):
    x, w, g, args = _case(geometry, 1, dtype, layout)
    y, dx, dw = _channels_last_forms(x, w, g, *args)
    assert_same(y, reference.depthwise_conv2d(x, w, *args))
    assert_same(dx, reference.depthwise_conv2d_grad_input(g, w, x.shape, *args))
    assert_same(dw, reference.depthwise_conv2d_grad_weight(x, g, w.shape, *args))


CHANNELS_LAST_OPS = ("forward", "grad_input", "grad_weight")


@pytest.mark.parametrize("shape, kernel, stride, channels_last_ops", [
    ((3, 64, 8, 8), (3, 3), (2, 2), CHANNELS_LAST_OPS),     # strided, small map
    ((2, 64, 32, 32), (3, 3), (2, 2), CHANNELS_LAST_OPS),   # strided, CIFAR's 32²
    ((1, 64, 3, 5), (3, 3), (1, 2), CHANNELS_LAST_OPS),
    ((1, 64, 33, 32), (3, 3), (2, 2), ()),                  # past the strided limit
    ((2, 32, 8, 8), (3, 3), (2, 2), ()),                    # too few channels
    ((2, 96, 4, 4), (3, 3), (1, 1), ("grad_weight",)),      # stride 1: unrolled 3×3 rows
    ((5, 128, 2, 2), (3, 3), (1, 1), ("grad_weight",)),
    ((2, 64, 8, 8), (3, 2), (1, 1), CHANNELS_LAST_OPS),     # stride 1, not a 3×3
    ((2, 64, 9, 8), (3, 2), (1, 1), ()),                    # past the stride-1 limit
])
def test_depthwise_channels_last_takes_the_calls_its_rule_names(monkeypatch, shape, kernel,
                                                                stride, channels_last_ops):
    """Small maps with many channels, and strided windows on maps up to 32², go channels
    last; at stride 1 a 3×3 forward and input gradient stay with the unrolled rows. Each
    call equals the reference whichever kernels take it."""
    from minicnn.kernels.cpu import depthwise_channels_last as channels_last

    taken = []
    for op in CHANNELS_LAST_OPS:
        def recorded(*args, _op=op, _kernel=getattr(channels_last, op)):
            taken.append(_op)
            return _kernel(*args)
        monkeypatch.setattr(channels_last, op, recorded)
    x, w, g, args = _case((shape, kernel, stride, (1, 1), (1, 1)), 1, np.float32)
    _assert_form_equals_reference(x, w, g, args)
    assert tuple(taken) == channels_last_ops
