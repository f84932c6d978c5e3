"""__syncthreads() and the built-in indices on the emulated GPU: each kernel here gives the
right answer only if no thread passes a barrier before every live thread of its block has
reached it, if every block has its own shared memory, and if threadIdx, blockIdx, blockDim
and gridDim take every value of a 1-, 2- or 3-D launch."""
import numpy as np
import pytest
from emulated_cupy import compile_cuda, cupy  # noqa: F401 (fixtures)

ROTATE = r"""
extern "C" __global__ void rotate_twice(const float* x, float* y) {
    __shared__ float tile[1024];
    const unsigned t = threadIdx.x, n = blockDim.x;
    const long long base = (long long)blockIdx.x * n;
    tile[t] = x[base + t];
    __syncthreads();
    const float next = tile[(t + 1) % n];
    __syncthreads();                        // no thread overwrites tile before all have read
    tile[t] = 2 * next;
    __syncthreads();
    y[base + t] = tile[(t + 1) % n];
}
"""


def rotated_twice(x, threads):
    """What rotate_twice gives: y[b, t] = 2 x[b, (t + 2) mod threads] in each block b."""
    return 2 * np.roll(x.reshape(-1, threads), -2, axis=1).ravel()


@pytest.mark.parametrize("blocks, threads", [(1, 32), (150, 256), (3, 1024)])
@pytest.mark.parametrize("workers", ["1", "4"])
def test_a_barrier_holds_every_thread_of_its_block(compile_cuda, cupy, monkeypatch, blocks,
                                                    threads, workers):
    monkeypatch.setenv("MINICNN_CUDA_EMULATE_THREADS", workers)
    kernel = compile_cuda(ROTATE).get_function("rotate_twice")
    x = np.random.default_rng(0).standard_normal(blocks * threads).astype(np.float32)
    y = cupy.empty(x.size, dtype=np.float32)
    kernel((blocks,), (threads,), (cupy.asarray(x), y))
    np.testing.assert_array_equal(y.get(), rotated_twice(x, threads))


TRANSPOSE = r"""
extern "C" __global__ void transpose_tiles(const int* x, int* y) {
    __shared__ int tile[16][16];
    const unsigned tx = threadIdx.x, ty = threadIdx.y, side = blockDim.x;
    const long long base = ((long long)blockIdx.y * gridDim.x + blockIdx.x) * side * side;
    tile[ty][tx] = x[base + ty * side + tx];
    __syncthreads();
    y[base + ty * side + tx] = tile[tx][ty];
}
"""


def test_a_barrier_in_a_2d_block_of_a_2d_grid(compile_cuda, cupy):
    kernel = compile_cuda(TRANSPOSE).get_function("transpose_tiles")
    grid, side = (3, 2), 16
    x = np.arange(grid[0] * grid[1] * side * side, dtype=np.int32)
    y = cupy.empty(x.size, dtype=np.int32)
    kernel(grid, (side, side), (cupy.asarray(x), y))
    tiles = x.reshape(-1, side, side)
    np.testing.assert_array_equal(y.get(), tiles.transpose(0, 2, 1).ravel())


COORDINATES = r"""
extern "C" __global__ void coordinates(unsigned* out) {
    const long long block = ((long long)blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x
                            + blockIdx.x;
    const long long thread = ((long long)threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x
                             + threadIdx.x;
    unsigned* mine = out + 12 * (block * blockDim.x * blockDim.y * blockDim.z + thread);
    BARRIER
    const unsigned values[12] = {threadIdx.x, threadIdx.y, threadIdx.z, blockIdx.x, blockIdx.y,
                                 blockIdx.z, blockDim.x, blockDim.y, blockDim.z, gridDim.x,
                                 gridDim.y, gridDim.z};
    for (int i = 0; i < 12; ++i) mine[i] = values[i];
}
"""


def expected_coordinates(grid, block):
    """Per thread (blocks in x-fastest order, then threads in x-fastest order) the twelve
    values the coordinates kernel writes."""
    gx, gy, gz = grid
    bx, by, bz = block
    rows = [(tx, ty, tz, x, y, z, bx, by, bz, gx, gy, gz)
            for z in range(gz) for y in range(gy) for x in range(gx)
            for tz in range(bz) for ty in range(by) for tx in range(bx)]
    return np.array(rows, dtype=np.uint32)


@pytest.mark.parametrize("grid, block", [((5, 1, 1), (7, 1, 1)), ((3, 2, 1), (4, 3, 1)),
                                         ((2, 3, 2), (4, 3, 2)), ((1, 1, 1), (8, 8, 16))])
@pytest.mark.parametrize("barrier", ["", "__syncthreads();"], ids=["plain", "fibers"])
def test_indices_of_1d_2d_and_3d_launches(compile_cuda, cupy, grid, block, barrier):
    kernel = compile_cuda(COORDINATES.replace("BARRIER", barrier)).get_function("coordinates")
    expected = expected_coordinates(grid, block)
    out = cupy.zeros(expected.size, dtype=np.uint32)
    kernel(grid, block, (out,))
    np.testing.assert_array_equal(out.get().reshape(expected.shape), expected)


EARLY_RETURN = r"""
extern "C" __global__ void row_sums_or_skip(const float* x, float* y, long long K) {
    __shared__ float partial[256];
    __shared__ bool skip;
    const unsigned t = threadIdx.x;
    const float* row = x + blockIdx.x * K;
    if (t == 0) skip = row[0] < 0;
    __syncthreads();
    if (skip) {                             // the same in every thread of the block
        if (t == 0) y[blockIdx.x] = -1;
        return;
    }
    partial[t] = t < K ? row[t] : 0;
    __syncthreads();
    for (unsigned s = 128; s > 0; s >>= 1) {
        if (t < s) partial[t] += partial[t + s];
        __syncthreads();
    }
    if (t == 0) y[blockIdx.x] = partial[0];
}
"""


def test_a_uniform_early_return_before_a_barrier(compile_cuda, cupy):
    kernel = compile_cuda(EARLY_RETURN).get_function("row_sums_or_skip")
    rows, K = 9, 200
    x = np.random.default_rng(1).uniform(0, 1, (rows, K)).astype(np.float32)
    x[::2, 0] = -1                          # every other row returns between its barriers
    y = cupy.empty(rows, dtype=np.float32)
    kernel((rows,), (256,), (cupy.asarray(x), y, np.int64(K)))
    expected = np.where(x[:, 0] < 0, -1, x.sum(axis=1, dtype=np.float64))
    np.testing.assert_allclose(y.get(), expected, rtol=1e-5)
