"""The CUDA kernels' launch geometry: BatchNorm's channels split over several blocks (up to
slices whose bounds pass 2^32), softmax rows packed several to a block, and the
64-bit-index entry points, each equal to the reference (or, for the 64-bit forms, to the
32-bit ones) where the sizes make them differ from the simple case."""
import numpy as np
import pytest
from kernel_cases import assert_same, cupy_or_skip, make_array, tolerance

from minicnn.kernels import reference

pytestmark = pytest.mark.gpu


def _batch_norm_inputs(shape, dtype, offset=0.0, spread=1.0, seed=0):
    rng = np.random.default_rng(seed)
    x = (offset + spread * rng.standard_normal(shape)).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    weight, bias = (rng.standard_normal(shape[1]).astype(dtype) for _ in range(2))
    return x, g, weight, bias


def _batch_norm_both_ways(cupy, cuda, x, g, weight, bias, eps):
    """(forward, backward) of the cuda form, as NumPy arrays, the backward at the reference's
    statistics."""
    on_gpu = [cupy.asarray(a) for a in (x, g, weight, bias)]
    forward = cuda.batch_norm_forward(on_gpu[0], on_gpu[2], on_gpu[3], eps)
    _, mean, var = reference.batch_norm_forward(x, weight, bias, eps)
    backward = cuda.batch_norm_backward(on_gpu[1], on_gpu[0], cupy.asarray(mean),
                                        cupy.asarray(var), on_gpu[2], eps)
    return [a.get() for a in forward], [a.get() for a in backward]


def _close(got, want, scale):
    """Same dtype, values within tolerance() with the absolute part scaled by `scale`."""
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    rtol = tolerance(want.dtype)["rtol"]
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, offset", [((3, 4, 5000), 3.0), ((9, 2, 1000), 1e4)])
def test_batch_norm_split_channels_match_reference(shape, offset, dtype):
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda
    from minicnn.kernels.cuda.batchnorm import blocks_per_channel

    assert blocks_per_channel(shape[0] * shape[2], shape[1]) > 1
    x, g, weight, bias = _batch_norm_inputs(shape, dtype, offset, spread=0.1)
    forward, backward = _batch_norm_both_ways(cupy, cuda, x, g, weight, bias, 1e-5)
    want = reference.batch_norm_forward(x, weight, bias, 1e-5)
    for got, expected, scale in zip(forward, want, (1.0, offset, 1.0)):    # y, mean, var
        _close(got, expected, scale)
    _, mean, var = want
    for got, expected in zip(backward,
                             reference.batch_norm_backward(g, x, mean, var, weight, 1e-5)):
        _close(got, expected, float(np.abs(expected).max()))


def test_batch_norm_long_channel_float32_within_tolerance():
    """A channel of 10^6 values around 10^3: float sums, compensated and combined in a fixed
    order, still agree with the float64 reference."""
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    x, g, weight, bias = _batch_norm_inputs((1, 2, 10**6), np.float32, offset=1e3)
    forward, backward = _batch_norm_both_ways(cupy, cuda, x, g, weight, bias, 1e-5)
    for got, want in zip(forward, reference.batch_norm_forward(x, weight, bias, 1e-5)):
        assert_same(got, want)
    _, mean, var = reference.batch_norm_forward(x, weight, bias, 1e-5)
    for got, want in zip(backward, reference.batch_norm_backward(g, x, mean, var, weight, 1e-5)):
        _close(got, want, float(np.abs(want).max()))


def test_batch_norm_slices_of_a_channel_past_2_to_32_in_the_32_bit_form():
    """One channel of 4.5·10^6 values over the most blocks a channel gets: the products
    count·p that place the blocks' slices pass 2^32 while every index fits the 32-bit form,
    which must still form them in 64 bits."""
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda
    from minicnn.kernels.cuda import loader
    from minicnn.kernels.cuda.batchnorm import blocks_per_channel

    shape = (3, 1, 1_500_000)
    count = shape[0] * shape[2]
    assert count * (blocks_per_channel(count, 1) - 1) >= 2**32
    assert count < loader.INDEX32_LIMIT
    x, _, weight, bias = _batch_norm_inputs(shape, np.float32, offset=3.0)
    forward = cuda.batch_norm_forward(*map(cupy.asarray, (x, weight, bias)), 1e-5)
    for got, want in zip(forward, reference.batch_norm_forward(x, weight, bias, 1e-5)):
        assert_same(got.get(), want)


def test_batch_norm_is_deterministic():
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    x, g, weight, bias = _batch_norm_inputs((4, 3, 6000), np.float32, offset=5.0)
    first, second = (_batch_norm_both_ways(cupy, cuda, x, g, weight, bias, 1e-5)
                     for _ in range(2))
    for a, b in zip(first[0] + first[1], second[0] + second[1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("R, K", [(1, 1), (9, 10), (19, 1000), (5, 1025), (3, 3000),
                                  (2, 9000), (1, 10**6)])
def test_softmax_rows_of_every_width_match_reference(R, K, dtype):
    """Rows of a warp (several to a block, the last block part empty) up to rows of a block;
    some rows wholly or partly masked."""
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    x = make_array((R, K), dtype, seed=2) * 3
    if R > 2:
        x[1] = -np.inf
        x[2, ::2] = -np.inf
    finite = x[[r for r in range(R) if r != 1]]
    assert_same(cuda.softmax_rows(cupy.asarray(finite)).get(), reference.softmax_rows(finite))
    assert_same(cuda.log_softmax_rows(cupy.asarray(finite)).get(),
                reference.log_softmax_rows(finite))
    s = reference.masked_softmax_rows(x.copy())
    assert_same(cuda.masked_softmax_rows(cupy.asarray(x)).get(), s)
    g = make_array((R, K), dtype, seed=3)
    assert_same(cuda.softmax_backward_rows(cupy.asarray(s), cupy.asarray(g)).get(),
                reference.softmax_backward_rows(s, g))


def test_softmax_nan_row_stays_nan_beside_finite_rows():
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    x = np.array([[0.0, np.nan, 1.0], [0.0, 1.0, 2.0]], dtype=np.float32)
    y = cuda.softmax_rows(cupy.asarray(x)).get()
    assert np.isnan(y[0]).all()
    assert_same(y[1], reference.softmax_rows(x[1:])[0])


# kernel, stride, padding, dilation with stride and padding 2^32 along the rows: over one
# pixel, three windows, of which only the middle one holds the pixel
ROWS_PAST_32_BITS = ((1, 1), (2**32, 1), (2**32, 0), (1, 1))


def _im2col_past_32_bits(cupy, cuda):
    x = np.full((1, 1, 1, 1), 5.0)
    return cuda.im2col(cupy.asarray(x), *ROWS_PAST_32_BITS).get(), [[[0.0, 5.0, 0.0]]]


def _col2im_past_32_bits(cupy, cuda):
    cols = np.array([[[1.0, 2.0, 3.0]]])
    return cuda.col2im(cupy.asarray(cols), (1, 1, 1, 1), *ROWS_PAST_32_BITS).get(), [[[[2.0]]]]


def _lrn_past_32_bits(cupy, cuda):
    """A window of 2^32 + 1 channels, alpha as large: scale = 1 + Σ x² over every channel."""
    x = np.array([[1.0, 2.0, 3.0]])
    size = 2**32 + 1
    return cuda.lrn(cupy.asarray(x), size, float(size), 1.0, 1.0)[1].get(), [[15.0] * 3]


@pytest.mark.parametrize("case", [_im2col_past_32_bits, _col2im_past_32_bits,
                                  _lrn_past_32_bits], ids=lambda case: case.__name__[1:])
def test_64_bit_forms_take_arguments_past_32_bits(case, monkeypatch):
    """The `_i64` forms (chosen for every size here) take the other arguments as given."""
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda
    from minicnn.kernels.cuda import loader

    monkeypatch.setattr(loader, "INDEX32_LIMIT", 0)
    np.testing.assert_array_equal(*case(cupy, cuda))


@pytest.mark.parametrize("case", [_im2col_past_32_bits, _col2im_past_32_bits,
                                  _lrn_past_32_bits], ids=lambda case: case.__name__[1:])
def test_small_arrays_with_arguments_past_32_bits_take_the_64_bit_forms(case):
    """The 32-bit forms take stride, padding and LRN's size as int: arrays this small take
    them only while every integer argument fits, so these calls get the `_i64` forms."""
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    np.testing.assert_array_equal(*case(cupy, cuda))


def _every_indexed_kernel(cupy, cuda, dtype):
    """{name: outputs as NumPy arrays} of one call of every kernel with 32- and 64-bit forms."""
    def gpu(a):
        return cupy.asarray(a)

    x = make_array((2, 3, 9, 8), dtype, seed=1)
    g_pool = make_array((2, 3, 4, 4), dtype, seed=2)
    x3, g3 = make_array((3, 4, 300), dtype, seed=3) + 2, make_array((3, 4, 300), dtype, seed=4)
    w, b = make_array((4,), dtype, seed=5), make_array((4,), dtype, seed=6)
    rows = make_array((7, 40), dtype, seed=7)
    dw_weight = make_array((6, 1, 3, 3), dtype, seed=8)
    dw_grad = make_array((2, 6, 9, 8), dtype, seed=9)
    cols = cuda.im2col(gpu(x), (3, 2), (2, 1), (1, 1), (1, 2))
    y, scale = cuda.lrn(gpu(x), 3, 1e-2, 0.75, 2.0)
    _, mean, var = reference.batch_norm_forward(x3, w, b, 1e-5)
    calls = {
        "im2col": cols,
        "col2im": cuda.col2im(cols, x.shape, (3, 2), (2, 1), (1, 1), (1, 2)),
        "max_pool2d": cuda.max_pool2d(gpu(x), (3, 2), (2, 2), (1, 1), (1, 1), True),
        "avg_pool2d": cuda.avg_pool2d(gpu(x), (3, 2), (2, 2), (1, 1), True, False),
        "avg_pool2d_backward": cuda.avg_pool2d_backward(gpu(g_pool), x.shape, (3, 2), (2, 2),
                                                        (1, 1), True, False),
        "lrn": (y, scale),
        "lrn_backward": cuda.lrn_backward(gpu(x), y, scale, gpu(x), 3, 1e-2, 0.75, 2.0),
        "depthwise_conv2d": cuda.depthwise_conv2d(gpu(x), gpu(dw_weight), 1, 1, 1),
        "depthwise_conv2d_grad_input": cuda.depthwise_conv2d_grad_input(
            gpu(dw_grad), gpu(dw_weight), x.shape, 1, 1, 1),
        "depthwise_conv2d_grad_weight": cuda.depthwise_conv2d_grad_weight(
            gpu(x), gpu(dw_grad), dw_weight.shape, 1, 1, 1),
        "batch_norm_forward": cuda.batch_norm_forward(gpu(x3), gpu(w), gpu(b), 1e-5),
        "batch_norm_backward": cuda.batch_norm_backward(gpu(g3), gpu(x3), gpu(mean), gpu(var),
                                                        gpu(w), 1e-5),
        "softmax_rows": cuda.softmax_rows(gpu(rows)),
        "log_softmax_rows": cuda.log_softmax_rows(gpu(rows)),
        "masked_softmax_rows": cuda.masked_softmax_rows(gpu(rows)),
        "softmax_backward_rows": cuda.softmax_backward_rows(gpu(rows), gpu(rows)),
    }
    return {name: [a.get() for a in (out if isinstance(out, tuple) else (out,))]
            for name, out in calls.items()}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_64_bit_index_forms_equal_32_bit_forms(dtype, monkeypatch):
    """With the 32-bit limit set to 0 every kernel runs its `_i64` entry point, which must
    give the very same numbers."""
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda
    from minicnn.kernels.cuda import loader

    narrow = _every_indexed_kernel(cupy, cuda, dtype)
    asked = []
    plain_function = loader.function

    def recording_function(module_name, kernel_name, dtype):
        asked.append(kernel_name)
        return plain_function(module_name, kernel_name, dtype)

    monkeypatch.setattr(loader, "INDEX32_LIMIT", 0)
    monkeypatch.setattr(loader, "function", recording_function)
    wide = _every_indexed_kernel(cupy, cuda, dtype)
    assert asked and all(name.endswith("_i64") for name in asked), asked
    for name in narrow:
        for a, b in zip(narrow[name], wide[name]):
            np.testing.assert_array_equal(a, b, err_msg=name)
