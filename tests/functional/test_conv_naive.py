"""The naive convolution (loops over output positions, conv_naive.py): equal to im2col within
float64 rounding, forward and every gradient, over drawn shapes with stride, padding,
dilation and groups; its float64 gradcheck; taken only when forced."""
import numpy as np
import pytest
from conftest import check_gradients, random_array
from hypothesis import given, settings
from op_inputs import conv_case, conv_config

import minicnn as mc
import minicnn.functional as F


def _conv_with_grads(algorithm, case):
    """conv2d's output and (dX, dW, db) under `algorithm` for one drawn case, float64."""
    tensors = [None if a is None else mc.tensor(a, requires_grad=True) for a in case.arrays]
    with mc.conv_algorithm(algorithm):
        y = F.conv2d(*tensors, **case.kwargs)
    assert type(y.grad_fn).__name__ == {"naive": "Conv2dNaive", "im2col": "Conv2dGemm"}[algorithm]
    y.backward(mc.tensor(random_array(y.shape, 7)))
    return [y.detach().numpy()] + [None if t is None else t.grad.numpy() for t in tensors]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(conv_config())
def test_naive_equals_im2col_within_float64_rounding(cfg):
    case = conv_case(cfg)
    naive, im2col = _conv_with_grads("naive", case), _conv_with_grads("im2col", case)
    for name, got, expected in zip(("y", "dX", "dW", "db"), naive, im2col):
        assert (got is None) == (expected is None), name
        if expected is not None:
            assert got.shape == expected.shape and got.dtype == np.float64, name
            np.testing.assert_allclose(got, expected, rtol=1e-12,
                                       atol=1e-12 * max(1.0, np.abs(expected).max()),
                                       err_msg=name)


@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((2, 2, 5, 4), (3, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0))),
    ((1, 4, 6, 5), (4, 2, 2, 3), dict(stride=2, padding=1, dilation=(2, 1), groups=2)),
    ((2, 3, 5, 5), (6, 1, 3, 3), dict(padding=1, groups=3)),
])
def test_naive_gradcheck(x_shape, w_shape, kwargs):
    def naive(x, w, b):
        with mc.conv_algorithm("naive"):
            return F.conv2d(x, w, b, **kwargs)

    check_gradients(naive, random_array(x_shape, 0), random_array(w_shape, 1),
                    random_array((w_shape[0],), 2))


def test_naive_runs_on_float32_and_without_bias():
    x, w = random_array((2, 3, 6, 6), 0, np.float32), random_array((4, 3, 3, 3), 1, np.float32)
    with mc.conv_algorithm("naive"):
        y = F.conv2d(mc.tensor(x), mc.tensor(w), padding=1)
    expected = F.conv2d(mc.tensor(x), mc.tensor(w), padding=1).numpy()
    assert y.dtype == mc.float32
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_naive_is_never_picked_on_its_own():
    x = mc.tensor(random_array((1, 3, 5, 5), 0), requires_grad=True)
    w = mc.tensor(random_array((2, 3, 3, 3), 1), requires_grad=True)
    auto = F.conv_algorithm(x, w)
    assert auto != "naive"
    with mc.conv_algorithm("naive"):
        assert F.conv_algorithm(x, w) == "naive"
    assert F.conv_algorithm(x, w) == auto
