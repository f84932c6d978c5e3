"""atomicAdd on the emulated GPU, whose blocks run on several OS threads at once: many
threads adding onto one cell lose no update, and each gets a distinct old value back."""
import numpy as np
import pytest
from emulated_cupy import compile_cuda, cupy  # noqa: F401 (fixtures)

COUNT = r"""
extern "C" __global__ void count_f32(float* total, float* seen, long long per_thread) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    for (long long k = 0; k < per_thread; ++k) seen[i * per_thread + k] = atomicAdd(total, 1.0f);
}
extern "C" __global__ void count_f64(double* total, double* seen, long long per_thread) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    for (long long k = 0; k < per_thread; ++k) seen[i * per_thread + k] = atomicAdd(total, 0.5);
}
"""


@pytest.mark.parametrize("dtype, step", [(np.float32, 1.0), (np.float64, 0.5)])
def test_atomic_add_of_many_threads_onto_one_cell(compile_cuda, cupy, monkeypatch, dtype, step):
    monkeypatch.setenv("MINICNN_CUDA_EMULATE_THREADS", "4")
    suffix = "f32" if dtype == np.float32 else "f64"
    kernel = compile_cuda(COUNT).get_function(f"count_{suffix}")
    blocks, threads, per_thread = 1024, 256, 8
    adds = blocks * threads * per_thread    # exact in float32 too
    total = cupy.zeros(1, dtype=dtype)
    seen = cupy.empty(adds, dtype=dtype)
    kernel((blocks,), (threads,), (total, seen, np.int64(per_thread)))
    assert total.get()[0] == adds * step
    np.testing.assert_array_equal(np.sort(seen.get()), np.arange(adds) * step)
