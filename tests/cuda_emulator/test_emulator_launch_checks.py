"""An emulated launch refuses, with an error that names the kernel and the parameter, every
argument that a GPU would take as raw bytes and turn into wrong numbers: an array of another
dtype, a strided view, an array on another device, a Python number where the kernel takes
another type, a wrong number of arguments, and a launch shape no GPU runs."""
import numpy as np
import pytest
from emulated_cupy import compile_cuda, cupy  # noqa: F401 (fixtures)

SCALE = r"""
extern "C" __global__ void scale(const float* x, float* y, long long n, float a) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = a * x[i];
}
"""


@pytest.fixture
def scale(compile_cuda):
    return compile_cuda(SCALE).get_function("scale")


def arrays(cupy, n=8, dtype=np.float32):
    return cupy.arange(n, dtype=dtype), cupy.zeros(n, dtype=np.float32)


def test_a_well_formed_launch_runs(scale, cupy):
    x, y = arrays(cupy)
    scale((1,), (32,), (x, y, np.int64(8), np.float32(3)))
    np.testing.assert_array_equal(y.get(), 3 * np.arange(8))


def test_an_array_of_the_wrong_dtype(scale, cupy):
    x, y = arrays(cupy, dtype=np.float64)
    with pytest.raises(TypeError, match=r"kernel scale, parameter const float\* x: got an array "
                                        r"of float64, the kernel reads float32"):
        scale((1,), (32,), (x, y, np.int64(8), np.float32(3)))


def test_a_host_array_where_a_pointer_goes(scale, cupy):
    _, y = arrays(cupy)
    with pytest.raises(TypeError, match=r"parameter const float\* x: expected a CUDA array, "
                                        "got ndarray"):
        scale((1,), (32,), (np.zeros(8, np.float32), y, np.int64(8), np.float32(3)))


def test_a_non_contiguous_array(scale, cupy):
    x, y = arrays(cupy, n=16)
    with pytest.raises(ValueError, match=r"parameter const float\* x: the array is not "
                                         "C-contiguous"):
        scale((1,), (32,), (x[::2], y[:8], np.int64(8), np.float32(3)))


def test_an_array_on_another_device(scale, cupy):
    _, y = arrays(cupy)
    with cupy.cuda.Device(1):
        x = cupy.arange(8, dtype=np.float32)
    with pytest.raises(ValueError, match=r"parameter const float\* x: the array is on device 1, "
                                         "the launch on device 0"):
        scale((1,), (32,), (x, y, np.int64(8), np.float32(3)))


@pytest.mark.parametrize("n, a, parameter", [(8.0, np.float32(3), "long long n"),
                                             (np.int32(8), np.float32(3), "long long n"),
                                             (np.int64(8), 3.0, "float a"),
                                             (np.int64(8), np.float64(3), "float a")])
def test_a_scalar_of_the_wrong_type(scale, cupy, n, a, parameter):
    x, y = arrays(cupy)
    with pytest.raises(TypeError, match=rf"parameter {parameter}: got .* pass numpy\."):
        scale((1,), (32,), (x, y, n, a))


def test_the_wrong_number_of_arguments(scale, cupy):
    x, y = arrays(cupy)
    with pytest.raises(TypeError, match=r"kernel scale takes 4 arguments \(const float\* x, "
                                        r"float\* y, long long n, float a\), got 3"):
        scale((1,), (32,), (x, y, np.int64(8)))


def test_a_block_of_more_than_1024_threads(scale, cupy):
    x, y = arrays(cupy)
    with pytest.raises(ValueError, match="a block of 1056 threads exceeds 1024"):
        scale((1,), (33, 32), (x, y, np.int64(8), np.float32(3)))


@pytest.mark.parametrize("what, grid, block, axis", [("grid", (1, 65536), (32,), "y"),
                                                     ("grid", (1, 1, 65536), (32,), "z"),
                                                     ("block", (1,), (1, 1, 65), "z")])
def test_an_extent_beyond_the_gpu_limits(scale, cupy, what, grid, block, axis):
    x, y = arrays(cupy)
    with pytest.raises(ValueError, match=f"kernel scale: {what} .* along {axis}, more than"):
        scale(grid, block, (x, y, np.int64(8), np.float32(3)))


@pytest.mark.parametrize("grid", [(0,), (1, 0), 0, ()])
def test_an_empty_grid(scale, cupy, grid):
    x, y = arrays(cupy)
    with pytest.raises(ValueError, match="grid must be 1 to 3 positive integers"):
        scale(grid, (32,), (x, y, np.int64(8), np.float32(3)))
