"""Launches from several Python threads at once (ctypes lets go of the GIL while a kernel
runs, so they meet inside the block runner), each thread with its own current device, and
the setting of how many OS threads run a launch's blocks."""
import threading

import numpy as np
import pytest
from emulated_cupy import compile_cuda, cupy  # noqa: F401 (fixtures)

from minicnn.cuda_emulator.raw_module import THREADS_VARIABLE, worker_threads

ROTATE = r"""
extern "C" __global__ void rotate(const double* x, double* y) {
    __shared__ double tile[256];
    const unsigned t = threadIdx.x;
    const long long base = (long long)blockIdx.x * blockDim.x;
    tile[t] = x[base + t];
    __syncthreads();
    y[base + t] = tile[(t + 1) % blockDim.x];
}
"""


def test_two_python_threads_launch_at_once(compile_cuda, cupy):
    kernel = compile_cuda(ROTATE).get_function("rotate")
    blocks, threads, launches = 64, 256, 20
    start = threading.Barrier(2)
    failures = []

    def launch_repeatedly(device, seed):
        try:
            with cupy.cuda.Device(device):
                start.wait()
                for i in range(launches):
                    x = np.random.default_rng(seed + i).standard_normal(blocks * threads)
                    y = cupy.empty(x.size)
                    kernel((blocks,), (threads,), (cupy.asarray(x), y))
                    expected = np.roll(x.reshape(blocks, threads), -1, axis=1).ravel()
                    if not np.array_equal(y.get(), expected) or y.device.id != device:
                        failures.append((device, i))
        except Exception as error:              # reported below, with the thread's device
            failures.append((device, repr(error)))

    workers = [threading.Thread(target=launch_repeatedly, args=(d, 100 * d)) for d in (0, 1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []


def test_the_worker_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(THREADS_VARIABLE, "3")
    assert worker_threads() == 3
    monkeypatch.delenv(THREADS_VARIABLE)
    assert worker_threads() >= 1


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_a_bad_worker_count_is_refused(monkeypatch, value):
    monkeypatch.setenv(THREADS_VARIABLE, value)
    with pytest.raises(ValueError, match=f"{THREADS_VARIABLE} must be a positive integer"):
        worker_threads()
