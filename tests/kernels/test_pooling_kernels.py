"""Max and average pooling: the cpu and cuda forms equal the reference (ties, NaN and −∞,
padding, stride, dilation, ceil_mode, count_include_pad, divisor_override), the reference
equals PyTorch (values, argmax indices, gradients through autograd)."""
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from kernel_cases import (DTYPES, FORMS, LAYOUTS, assert_same, compiled_once, conv_geometry,
                          kernels_of, make_array)

from minicnn.kernels import cpu, reference
from minicnn.kernels.shapes import pool_output_shape

CEIL = st.booleans()
DIVISORS = st.sampled_from([None, None, 1, 3, 5])
AVG = dict(dilation=False)


def _max_input(shape, dtype, layout, ties, nan=False):
    """Untied values, or (ties) small integers with some −inf, so that the first-maximum
    rule and the −inf windows are exercised too; (nan) with NaN in some planes."""
    if not ties:
        x = make_array(shape, dtype, layout, seed=1, untied=True)
    else:
        x = np.round(make_array(shape, dtype, layout, seed=1))
        x[x < -1.5] = -np.inf
    if nan:
        x[np.abs(x) > 1.6] = np.nan
    return x


def _grad(x_shape, geometry_tail, dtype, ceil_mode, layout="contiguous", dilation=(1, 1)):
    kernel, stride, padding = geometry_tail
    N, C, H, W = x_shape
    out = pool_output_shape((H, W), kernel, stride, padding, dilation, ceil_mode)
    return make_array((N, C) + out, dtype, layout, seed=5)


@pytest.mark.parametrize("form", FORMS)
@example(geometry=((2, 3, 9, 8), (3, 2), (2, 2), (1, 1), (2, 3)), ceil_mode=True,
         dtype=np.float32, layout="contiguous", ties=True, nan=False)    # padding, dilation
@example(geometry=((1, 2, 7, 7), (2, 2), (3, 3), (1, 1), (1, 1)), ceil_mode=True,
         dtype=np.float64, layout="transposed", ties=False, nan=True)    # stride > kernel
@given(geometry=conv_geometry(), ceil_mode=CEIL, dtype=DTYPES, layout=LAYOUTS,
       ties=st.booleans(), nan=st.booleans())
def test_max_pool_forms_match_reference(form, geometry, ceil_mode, dtype, layout, ties, nan):
    kernels = kernels_of(form)
    shape, kernel, stride, padding, dilation = geometry
    x = _max_input(shape, dtype, layout, ties, nan)
    y, idx = kernels.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
    y_ref, idx_ref = reference.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
    assert_same(y, y_ref)
    assert idx.dtype == np.int64 and idx_ref.dtype == np.int64
    np.testing.assert_array_equal(idx, idx_ref)
    g = _grad(shape, (kernel, stride, padding), dtype, ceil_mode, layout, dilation)
    windows = (kernel, stride, padding, dilation)
    assert_same(kernels.max_pool2d_backward(g, idx, shape, *windows),
                reference.max_pool2d_backward(g, idx_ref, shape, *windows))


@given(conv_geometry(), CEIL)
def test_max_pool_reference_matches_torch(geometry, ceil_mode):
    torch = pytest.importorskip("torch")
    shape, kernel, stride, padding, dilation = geometry
    x = make_array(shape, np.float64, seed=1, untied=True)
    tx = torch.tensor(x, requires_grad=True)
    ty, tidx = torch.nn.functional.max_pool2d(tx, kernel, stride, padding, dilation,
                                              ceil_mode=ceil_mode, return_indices=True)
    y, idx = reference.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
    assert_same(y, ty.detach().numpy())
    np.testing.assert_array_equal(idx, tidx.numpy())
    if np.isfinite(y).all():        # else a window held only padding: torch's index is junk
        g = _grad(shape, (kernel, stride, padding), np.float64, ceil_mode, dilation=dilation)
        ty.backward(torch.tensor(g))
        assert_same(reference.max_pool2d_backward(g, idx, shape, kernel, stride, padding,
                                                  dilation), tx.grad.numpy())


@pytest.mark.parametrize("form", ("reference",) + FORMS)
def test_max_pool_rules_on_ties_nan_and_minus_inf(form):
    """First maximum wins; NaN propagates; a window of −inf reports its first real pixel."""
    x = np.array([[[[1.0, 1.0, -np.inf, -np.inf],
                    [0.0, np.nan, -np.inf, -np.inf]]]])
    kernels = kernels_of(form)
    y, idx = kernels.max_pool2d(x, (2, 2), (2, 2), (0, 0), (1, 1), False)
    np.testing.assert_array_equal(y, [[[[np.nan, -np.inf]]]])
    np.testing.assert_array_equal(idx, [[[[5, 2]]]])
    y, idx = kernels.max_pool2d(x[..., :1, :2], (1, 2), (1, 1), (0, 0), (1, 1), False)
    np.testing.assert_array_equal(idx, [[[[0]]]])
    tie = np.array([[[[0.0, 5.0], [5.0, 0.0]]]])          # a later column, an earlier row
    np.testing.assert_array_equal(kernels.max_pool2d(tie, (2, 2), (2, 2), (0, 0), (1, 1),
                                                     False)[1], [[[[1]]]])


@pytest.mark.parametrize("form", FORMS)
@example(geometry=((2, 3, 8, 9), (3, 4), (2, 3), (1, 2), (1, 1)), ceil_mode=True,
         include_pad=True, divisor=None, dtype=np.float64, layout="contiguous")
@example(geometry=((1, 2, 7, 6), (2, 3), (3, 2), (1, 1), (1, 1)), ceil_mode=True,
         include_pad=False, divisor=None, dtype=np.float32, layout="sliced")
@example(geometry=((2, 2, 6, 7), (3, 3), (1, 2), (1, 1), (1, 1)), ceil_mode=False,
         include_pad=True, divisor=5, dtype=np.float64, layout="transposed")
@given(geometry=conv_geometry(**AVG), ceil_mode=CEIL, include_pad=st.booleans(),
       divisor=DIVISORS, dtype=DTYPES, layout=LAYOUTS)
def test_avg_pool_forms_match_reference(form, geometry, ceil_mode, include_pad, divisor, dtype,
                                        layout):
    kernels = kernels_of(form)
    shape, kernel, stride, padding, _ = geometry
    x = make_array(shape, dtype, layout, seed=1)
    args = (kernel, stride, padding, ceil_mode, include_pad, divisor)
    assert_same(kernels.avg_pool2d(x, *args), reference.avg_pool2d(x, *args))
    g = _grad(shape, (kernel, stride, padding), dtype, ceil_mode, layout)
    assert_same(kernels.avg_pool2d_backward(g, shape, *args),
                reference.avg_pool2d_backward(g, shape, *args))


@given(conv_geometry(**AVG), CEIL, st.booleans(), DIVISORS)
def test_avg_pool_reference_matches_torch(geometry, ceil_mode, include_pad, divisor):
    torch = pytest.importorskip("torch")
    shape, kernel, stride, padding, _ = geometry
    x = make_array(shape, np.float64, seed=1)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.avg_pool2d(tx, kernel, stride, padding, ceil_mode=ceil_mode,
                                        count_include_pad=include_pad,
                                        divisor_override=divisor)
    args = (kernel, stride, padding, ceil_mode, include_pad, divisor)
    assert_same(reference.avg_pool2d(x, *args), ty.detach().numpy())
    g = _grad(shape, (kernel, stride, padding), np.float64, ceil_mode)
    ty.backward(torch.tensor(g))
    assert_same(reference.avg_pool2d_backward(g, shape, *args), tx.grad.numpy())


def _warm_up(dispatcher, call):
    call()
    return True


def test_pooling_cpu_compiles_once_per_dtype():
    from minicnn.kernels.cpu.pooling import (_avg_backward, _avg_forward, _max_backward,
                                             _max_forward, _max_forward_separable)

    shape, k, s, p = (2, 3, 7, 6), (3, 2), (2, 2), (1, 1)
    for layout in ("contiguous", "transposed", "sliced"):
        for dtype in (np.float32, np.float64):
            x = make_array(shape, dtype, layout, untied=True)
            g = _grad(shape, (k, s, p), dtype, True, layout)
            check = compiled_once if layout != "contiguous" else _warm_up
            y, idx = cpu.max_pool2d(x, k, s, p, (1, 1), True)
            assert check(_max_forward_separable,
                         lambda: cpu.max_pool2d(x, k, s, p, (1, 1), True))
            assert check(_max_forward, lambda: cpu.max_pool2d(x, k, s, p, (2, 1), True))
            assert check(_max_backward, lambda: cpu.max_pool2d_backward(g, idx.T.T, shape, k,
                                                                        s, p, (1, 1)))
            assert check(_avg_forward, lambda: cpu.avg_pool2d(x, k, s, p, True, False, None))
            assert check(_avg_backward, lambda: cpu.avg_pool2d_backward(
                g, shape, k, s, p, True, True, 2))
