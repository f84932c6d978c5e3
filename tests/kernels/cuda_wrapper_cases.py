"""One small call of every kernel that has its own CUDA form, on host data, for the tests of
what every wrapper in kernels/cuda/ does with its arrays (device, dtype, layout).

`CASES[name](dtype)` gives the arguments of one call of kernel `name`: NumPy arrays of
`dtype` (integer indices as int64) and plain parameters, the first array being the one a
wrapper takes its device and launch dtype from.
"""
import numpy as np

from minicnn.kernels import reference

SHAPE = (2, 3, 7, 6)
POOL = ((3, 2), (2, 1), (1, 1))                         # kernel_size, stride, padding
CONV = ((2, 1), (1, 2), (1, 0), (1, 2))                 # kernel_size, stride, padding, dilation


def _normal(shape, dtype, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _untied(shape, dtype, seed):
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(np.linspace(-3, 3, n)).astype(dtype) \
        .reshape(shape)


def _batch_norm_backward(dtype):
    x = _normal((4, 3, 5), dtype, 1)
    weight = _normal(3, dtype, 2)
    _, mean, var = reference.batch_norm_forward(x, weight, _normal(3, dtype, 3), 1e-5)
    return [_normal(x.shape, dtype, 4), x, mean, var, weight, 1e-5]


def _depthwise_grad_input(dtype):
    kernel, stride, padding, dilation = CONV
    weight = _normal((6, 1) + kernel, dtype, 2)
    out = reference.depthwise_conv2d(_normal(SHAPE, dtype, 1), weight, stride, padding, dilation)
    return [_normal(out.shape, dtype, 3), weight, SHAPE, stride, padding, dilation]


def _depthwise_grad_weight(dtype):
    kernel, stride, padding, dilation = CONV
    x = _normal(SHAPE, dtype, 1)
    out = reference.depthwise_conv2d(x, _normal((6, 1) + kernel, dtype, 2), stride, padding,
                                     dilation)
    return [x, _normal(out.shape, dtype, 3), (6, 1) + kernel, stride, padding, dilation]


def _col2im(dtype):
    cols = reference.im2col(_normal(SHAPE, dtype, 1), *CONV)
    return [_normal(cols.shape, dtype, 2), SHAPE, *CONV]


def _lrn_backward(dtype):
    x = _normal(SHAPE, dtype, 1)
    y, scale = reference.lrn(x, 3, 0.5, 0.75, 2.0)
    return [x, y, scale, _normal(SHAPE, dtype, 2), 3, 0.5, 0.75, 2.0]


def _max_pool2d_backward(dtype):
    kernel, stride, padding = POOL
    y, indices = reference.max_pool2d(_untied(SHAPE, dtype, 1), kernel, stride, padding, 1, True)
    return [_normal(y.shape, dtype, 2), indices, SHAPE, kernel, stride, padding, 1]


def _avg_pool2d_backward(dtype):
    args = POOL + (True, False, None)
    y = reference.avg_pool2d(_normal(SHAPE, dtype, 1), *args)
    return [_normal(y.shape, dtype, 2), SHAPE, *args]


def _softmax_backward_rows(dtype):
    s = reference.softmax_rows(_normal((5, 7), dtype, 1))
    return [s, _normal((5, 7), dtype, 2)]


CASES = {
    "avg_pool2d": lambda dtype: [_normal(SHAPE, dtype, 1), *POOL, True, False, None],
    "avg_pool2d_backward": _avg_pool2d_backward,
    "batch_norm_backward": _batch_norm_backward,
    "batch_norm_forward": lambda dtype: [_normal((4, 3, 5), dtype, 1), _normal(3, dtype, 2),
                                         _normal(3, dtype, 3), 1e-5],
    "col2im": _col2im,
    "depthwise_conv2d": lambda dtype: [_normal(SHAPE, dtype, 1),
                                       _normal((6, 1) + CONV[0], dtype, 2), *CONV[1:]],
    "depthwise_conv2d_grad_input": _depthwise_grad_input,
    "depthwise_conv2d_grad_weight": _depthwise_grad_weight,
    "erf": lambda dtype: [_normal(SHAPE, dtype, 1)],
    "gelu": lambda dtype: [_normal(SHAPE, dtype, 1)],
    "gelu_backward": lambda dtype: [_normal(SHAPE, dtype, 1), _normal(SHAPE, dtype, 2)],
    "im2col": lambda dtype: [_normal(SHAPE, dtype, 1), *CONV],
    "log_softmax_rows": lambda dtype: [_normal((5, 7), dtype, 1)],
    "lrn": lambda dtype: [_normal(SHAPE, dtype, 1), 3, 0.5, 0.75, 2.0],
    "lrn_backward": _lrn_backward,
    "masked_softmax_rows": lambda dtype: [_normal((5, 7), dtype, 1)],
    "max_pool2d": lambda dtype: [_untied(SHAPE, dtype, 1), *POOL, 1, True],
    "max_pool2d_backward": _max_pool2d_backward,
    "relu": lambda dtype: [_normal(SHAPE, dtype, 1)],
    "relu_backward": lambda dtype: [_normal(SHAPE, dtype, 1),
                                    reference.relu(_normal(SHAPE, dtype, 2))],
    "softmax_backward_rows": _softmax_backward_rows,
    "softmax_rows": lambda dtype: [_normal((5, 7), dtype, 1)],
}


def outputs(result):
    """The arrays a kernel returned, as a list."""
    return list(result) if isinstance(result, tuple) else [result]


def assert_outputs_equal(got, expected, rtol, atol):
    """Each CuPy output (brought to the host) equals the reference's: shape, dtype, values."""
    got, expected = outputs(got), outputs(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        g = g.get()
        assert g.shape == e.shape and g.dtype == e.dtype, (g.shape, g.dtype, e.shape, e.dtype)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
