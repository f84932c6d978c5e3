"""Winograd F(2×2, 3×3): the cpu forms equal the reference; the reference transforms, chained
through their 16 GEMMs, equal a 3×3 stride-1 convolution and its two gradients (PyTorch's, and
minicnn's own im2col path); each gradient transform is the adjoint of its forward one."""
import numpy as np
import pytest
from hypothesis import given
from kernel_cases import DTYPES, LAYOUTS, assert_same, make_array, stride1_geometry

from minicnn.kernels import cpu, reference
from minicnn.kernels.shapes import winograd_tiles


def winograd_geometry():
    """Odd and even output sizes (every size mod 2), padding 0-2, 1×1 outputs."""
    return stride1_geometry(10)


def _case(geometry, dtype, layout="contiguous"):
    shape, OC, padding = geometry
    N, C, H, W = shape
    (oh, ow), (th, tw) = winograd_tiles((H, W), padding)
    x = make_array(shape, dtype, layout, seed=1)
    w = make_array((OC, C, 3, 3), dtype, layout, seed=2)
    g = make_array((N, OC, oh, ow), dtype, layout, seed=3)
    m = make_array((16, N * th * tw, OC), dtype, layout, seed=4)
    dv = make_array((16, N * th * tw, C), dtype, layout, seed=5)
    b = make_array((OC,), dtype, seed=6)
    return x, w, g, m, dv, b, padding


def _convolve(form, x, w, b, g, padding):
    """y, dX, dW of a 3×3 stride-1 convolution chained through `form`'s transforms."""
    N, OC = g.shape[:2]
    u = form.winograd_weight(w)                                        # (16, OC, C)
    v = form.winograd_input(x, padding)                                # (16, N*T, C)
    y = form.winograd_output(v @ u.swapaxes(1, 2), g.shape, b)
    dm = form.winograd_output_grad(g)                                  # (16, N*T, OC)
    dw = form.winograd_weight_grad(dm.swapaxes(1, 2) @ v)
    dx = form.winograd_input_grad(dm @ u, x.shape, padding)
    return y, dx, dw


@given(winograd_geometry(), DTYPES, LAYOUTS)
def test_winograd_cpu_matches_reference(geometry, dtype, layout):
    x, w, g, m, dv, b, padding = _case(geometry, dtype, layout)
    assert_same(cpu.winograd_input(x, padding), reference.winograd_input(x, padding))
    assert_same(cpu.winograd_output(m, g.shape, b), reference.winograd_output(m, g.shape, b))
    assert_same(cpu.winograd_output(m, g.shape), reference.winograd_output(m, g.shape))
    for form in (cpu, reference):                      # written into a given array
        buffer = np.empty(g.shape, dtype=dtype)
        assert form.winograd_output(m, g.shape, b, out=buffer) is buffer
        assert_same(buffer, reference.winograd_output(m, g.shape, b))
    assert_same(cpu.winograd_output_grad(g), reference.winograd_output_grad(g))
    assert_same(cpu.winograd_input_grad(dv, x.shape, padding),
                reference.winograd_input_grad(dv, x.shape, padding))
    du = make_array((16,) + w.shape[:2], dtype, layout, seed=7)
    assert_same(cpu.winograd_weight(w), reference.winograd_weight(w))
    assert_same(cpu.winograd_weight_grad(du), reference.winograd_weight_grad(du))


@given(winograd_geometry())
def test_winograd_reference_is_a_convolution_like_torch(geometry):
    torch = pytest.importorskip("torch")
    x, w, g, _, _, b, padding = _case(geometry, np.float64)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, torch.tensor(b), padding=padding)
    ty.backward(torch.tensor(g))
    y, dx, dw = _convolve(reference, x, w, b, g, padding)
    assert_same(y, ty.detach().numpy())
    assert_same(dx, tx.grad.numpy())
    assert_same(dw, tw.grad.numpy())


@given(winograd_geometry(), DTYPES)
def test_winograd_cpu_is_the_im2col_convolution(geometry, dtype):
    """The same three results from im2col + GEMM (no PyTorch needed)."""
    x, w, g, _, _, b, padding = _case(geometry, dtype)
    window = ((3, 3), (1, 1), padding, (1, 1))
    N, OC, oh, ow = g.shape
    cols = reference.im2col(x, *window).reshape(-1, N * oh * ow)       # (C*9, N*P)
    gy = g.reshape(N, OC, -1).swapaxes(0, 1).reshape(OC, -1)           # (OC, N*P)
    y = (w.reshape(OC, -1) @ cols).reshape(OC, N, oh, ow).swapaxes(0, 1) + b.reshape(1, OC, 1, 1)
    dx = reference.col2im((w.reshape(OC, -1).T @ gy).reshape(-1, N, oh * ow), x.shape, *window)
    dw = (gy @ cols.T).reshape(w.shape)
    for got, expected in zip(_convolve(cpu, x, w, b, g, padding), (y, dx, dw)):
        assert_same(got, expected)


@pytest.mark.parametrize("form", [reference, cpu], ids=["reference", "cpu"])
def test_winograd_gradient_transforms_are_adjoints(form):
    """<T(a), b> = <a, T*(b)> for the input, output and filter transforms."""
    x, w, g, m, dv, _, padding = _case(((2, 3, 7, 6), 4, (1, 2)), np.float64)
    assert np.isclose(np.vdot(form.winograd_input(x, padding), dv),
                      np.vdot(x, form.winograd_input_grad(dv, x.shape, padding)))
    assert np.isclose(np.vdot(form.winograd_output(m, g.shape), g),
                      np.vdot(m, form.winograd_output_grad(g)))
    du = make_array((16, 4, 3), np.float64, seed=7)
    assert np.isclose(np.vdot(form.winograd_weight(w), du),
                      np.vdot(w, form.winograd_weight_grad(du)))
