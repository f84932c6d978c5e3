"""im2col / col2im: the cpu forms (rows and gather) and the cuda form equal the reference,
the reference equals PyTorch's unfold / fold, and col2im is im2col's adjoint in every form."""
import sys
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import example, given
from kernel_cases import (DTYPES, LAYOUTS, assert_same, compiled_once, conv_geometry,
                          kernels_of, make_array)

from minicnn.kernels import cpu, reference
from minicnn.kernels.shapes import conv_output_shape


def _cols_shape(shape, kernel, stride, padding, dilation):
    N, C, H, W = shape
    oh, ow = conv_output_shape((H, W), kernel, stride, padding, dilation)
    return (C * kernel[0] * kernel[1], N, oh * ow)


# the cpu form with every width going to its rows or its gather kernels, and the cuda form
FORMS = ("rows", "gather", pytest.param("cuda", marks=pytest.mark.gpu))


@contextmanager
def _kernels(form):
    """The kernels of `form`: the cpu ones with every width going to "rows" or "gather", or
    the reference or cuda ones."""
    if form in ("reference", "cuda"):
        yield kernels_of(form)
        return
    module = sys.modules["minicnn.kernels.cpu.im2col"]
    saved = module.GATHER_MAX_WIDTH
    module.GATHER_MAX_WIDTH = 0 if form == "rows" else 10 ** 9
    try:
        yield cpu
    finally:
        module.GATHER_MAX_WIDTH = saved


@pytest.mark.parametrize("form", FORMS)
@example(geometry=((2, 3, 9, 10), (3, 3), (1, 1), (1, 1), (1, 1)), dtype=np.float32,
         layout="contiguous")
@example(geometry=((1, 2, 13, 11), (2, 3), (3, 4), (1, 1), (2, 3)), dtype=np.float64,
         layout="sliced")                       # rows and columns no window reaches
@given(geometry=conv_geometry(), dtype=DTYPES, layout=LAYOUTS)
def test_im2col_col2im_forms_match_reference(form, geometry, dtype, layout):
    shape, kernel, stride, padding, dilation = geometry
    x = make_array(shape, dtype, layout, seed=1)
    cols = make_array(_cols_shape(shape, kernel, stride, padding, dilation), dtype, layout, 2)
    with _kernels(form) as kernels:
        assert_same(kernels.im2col(x, kernel, stride, padding, dilation),
                    reference.im2col(x, kernel, stride, padding, dilation))
        assert_same(kernels.col2im(cols, shape, kernel, stride, padding, dilation),
                    reference.col2im(cols, shape, kernel, stride, padding, dilation))


@given(conv_geometry())
def test_im2col_col2im_reference_match_torch(geometry):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    shape, kernel, stride, padding, dilation = geometry
    x = make_array(shape, np.float64, seed=3)
    unfolded = F.unfold(torch.tensor(x), kernel, dilation=dilation, padding=padding,
                        stride=stride).numpy()                      # (N, C*kh*kw, L)
    assert_same(reference.im2col(x, kernel, stride, padding, dilation),
                unfolded.swapaxes(0, 1))                            # (C*kh*kw, N, L)
    cols = make_array(unfolded.swapaxes(0, 1).shape, np.float64, seed=4)
    expected = F.fold(torch.tensor(np.ascontiguousarray(cols.swapaxes(0, 1))), shape[2:],
                      kernel, dilation=dilation, padding=padding, stride=stride).numpy()
    assert_same(reference.col2im(cols, shape, kernel, stride, padding, dilation), expected)


@pytest.mark.parametrize("form", ("reference", "rows", "gather", FORMS[-1]))
def test_col2im_is_the_adjoint_of_im2col(form):
    """<im2col(x), c> = <x, col2im(c)>: col2im sums every column entry onto its pixel."""
    args = ((3, 2), (2, 1), (1, 1), (2, 1))
    x = make_array((2, 3, 7, 6), np.float64, seed=5)
    with _kernels(form) as kernels:
        cols = kernels.im2col(x, *args)
        c = make_array(cols.shape, np.float64, seed=6)
        assert np.isclose(np.vdot(cols, c), np.vdot(x, kernels.col2im(c, x.shape, *args)))


@pytest.mark.parametrize("form", ["rows", "gather"])
def test_im2col_cpu_compiles_once_per_dtype(form):
    from minicnn.kernels.cpu.im2col import _col2im, _col2im_scatter, _im2col, _im2col_gather

    to_cols, from_cols = (_im2col, _col2im) if form == "rows" else (_im2col_gather,
                                                                    _col2im_scatter)
    args = ((3, 3), (1, 1), (1, 1), (1, 1))
    with _kernels(form):
        for dtype in (np.float32, np.float64):
            cpu.col2im(cpu.im2col(make_array((1, 2, 5, 5), dtype), *args), (1, 2, 5, 5), *args)
        for layout in ("contiguous", "transposed", "sliced"):
            for dtype in (np.float32, np.float64):
                x = make_array((2, 3, 6, 4), dtype, layout)
                assert compiled_once(to_cols, lambda: cpu.im2col(x, *args))
                cols = np.asfortranarray(cpu.im2col(x, *args))
                assert compiled_once(from_cols, lambda: cpu.col2im(cols, x.shape, *args))
