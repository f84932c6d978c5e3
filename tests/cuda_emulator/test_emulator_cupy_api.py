"""The CuPy API that minicnn and benchmarks/ call works on the emulator: devices, streams and
events (the benchmarks' timing), the runtime queries, the memory pool, default_rng and the
version string; and minicnn itself, run under MINICNN_CUDA_EMULATE=1, sees a CUDA device."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from emulated_cupy import cupy  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]


def test_devices_and_the_runtime(cupy):
    assert cupy.cuda.runtime.getDeviceCount() == 2
    assert cupy.cuda.Device().id == cupy.cuda.runtime.getDevice() == 0
    with cupy.cuda.Device(1) as device:
        assert device.id == cupy.cuda.runtime.getDevice() == 1
        device.synchronize()
    assert cupy.cuda.runtime.getDevice() == 0
    assert cupy.cuda.runtime.getDeviceProperties(0)["maxThreadsPerBlock"] == 1024
    with pytest.raises(cupy.cuda.runtime.CUDARuntimeError, match="invalid device ordinal 2"):
        cupy.cuda.Device(2)
    free, total = cupy.cuda.runtime.memGetInfo()
    assert 0 < free <= total


def test_events_time_the_work_between_them(cupy):
    start, end = cupy.cuda.Event(), cupy.cuda.Event()
    start.record()
    cupy.arange(1000).sum()
    end.record()
    end.synchronize()
    assert end.done
    assert cupy.cuda.get_elapsed_time(start, end) >= 0
    with pytest.raises(cupy.cuda.runtime.CUDARuntimeError, match="never recorded"):
        cupy.cuda.get_elapsed_time(start, cupy.cuda.Event())


def test_streams_are_the_program_order(cupy):
    stream = cupy.cuda.Stream(non_blocking=True)
    with stream:
        a = cupy.ones(3) * 2
    stream.synchronize()
    cupy.cuda.get_current_stream().synchronize()
    assert a.get().tolist() == [2, 2, 2]


def test_the_memory_pool_and_the_version(cupy):
    pool = cupy.get_default_memory_pool()
    pool.free_all_blocks()
    assert pool.used_bytes() <= pool.total_bytes()
    assert isinstance(cupy.__version__, str) and cupy.__version__


def test_default_rng_draws_reproducibly(cupy):
    first = cupy.random.default_rng(5).standard_normal(4)
    again = cupy.random.default_rng(5).standard_normal(4)
    assert isinstance(first, cupy.ndarray)
    np.testing.assert_array_equal(first.get(), again.get())
    drawn = cupy.random.default_rng(5).uniform(0, 1, (2, 3), dtype=np.float32)
    assert drawn.shape == (2, 3) and drawn.dtype == np.float32


@pytest.mark.parametrize("method", ["permutation", "normal", "choice", "shuffle"])
def test_default_rng_has_only_the_methods_of_cupys_generator(cupy, method):
    with pytest.raises(AttributeError, match=f"no attribute '{method}'"):
        getattr(cupy.random.default_rng(0), method)
    assert callable(getattr(cupy.random, method))      # the legacy API has them


MINICNN_ON_THE_EMULATOR = """
    import numpy as np

    import minicnn as mc
    import cupy

    assert mc.cuda.is_available() and mc.cuda.device_count() == 2
    mc.cuda.synchronize()
    assert mc.runtime.info()["versions"]["cupy"] == cupy.__version__
    assert mc.randn(3, device="cuda").is_cuda
    x = mc.tensor(np.arange(6.0).reshape(2, 3)).cuda()
    y = mc.nn.functional.softmax(x, dim=1)
    assert y.is_cuda and y._data.device.id == 0
    expected = np.exp(np.arange(3.0)) / np.exp(np.arange(3.0)).sum()
    np.testing.assert_allclose(y.cpu().numpy(), [expected, expected])
    print("ok")
"""


def test_minicnn_runs_on_the_emulated_device():
    environment = dict(os.environ, MINICNN_CUDA_EMULATE="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(MINICNN_ON_THE_EMULATOR)],
                          cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "ok"
