"""Importing minicnn makes idle BLAS threads sleep instead of spinning, whether NumPy loaded
OpenBLAS before or after, and puts Numba on TBB, thread and fork safe, when the tbb package
is there (see minicnn.threads), unless the environment already chose."""
import os
import subprocess
import sys
from importlib import metadata

import pytest

PROBE = ("import minicnn, numba, os; minicnn.nn.functional.max_pool2d(minicnn.randn(1, 1, 4, 4), 2);"
         "print(os.environ['OPENBLAS_THREAD_TIMEOUT'], numba.threading_layer())")
# A parallel kernel in the parent, then one in a forked child: Numba's OpenMP layer on
# GNU libgomp terminates the child there.
FORKED = ("import os, minicnn; x = minicnn.randn(2, 3, 8, 8)\n"
          "minicnn.nn.functional.max_pool2d(x, 2)\n"
          "pid = os.fork()\n"
          "if pid == 0:\n"
          "    minicnn.nn.functional.max_pool2d(x, 2); os._exit(7)\n"
          "print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))")


def _tbb_installed():
    try:
        metadata.version("tbb")
        return True
    except metadata.PackageNotFoundError:
        return False


def _run(code, **env):
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OPENBLAS_THREAD_TIMEOUT", "NUMBA_THREADING_LAYER")}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, check=True,
                          capture_output=True, text=True).stdout.split()


def test_idle_threads_sleep_and_numba_runs_on_tbb_by_default():
    assert _run(PROBE) == ["4", "tbb" if _tbb_installed() else "workqueue"]


def test_the_environment_wins():
    assert _run(PROBE, OPENBLAS_THREAD_TIMEOUT="20", NUMBA_THREADING_LAYER="omp") == ["20", "omp"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_runs_parallel_kernels():
    assert _run(FORKED) == ["7"]


# NumPy first: OpenBLAS has read its environment (no timeout set) before minicnn sets it.
NUMPY_FIRST = ("import ctypes, numpy as np\n"
               "from threadpoolctl import ThreadpoolController\n"
               "libs = ThreadpoolController().select(internal_api='openblas').lib_controllers\n"
               "timeouts = lambda: [ctypes.CDLL(l.filepath).openblas_thread_timeout() "
               "for l in libs]\n"
               "before = timeouts()\n"
               "import minicnn; minicnn.set_num_threads(2)\n"
               "a = np.arange(256 * 256, dtype=np.float32).reshape(256, 256) / 65536\n"
               "same = np.allclose(a @ a, a.astype(np.float64) @ a, rtol=1e-4)\n"
               "print(before[0], timeouts()[0], same)")


def _openblas_entry_points():
    import ctypes

    from threadpoolctl import ThreadpoolController

    libs = ThreadpoolController().select(internal_api="openblas").lib_controllers
    if not libs:
        return False
    lib = ctypes.CDLL(libs[0].filepath)
    return all(hasattr(lib, name) for name in ("openblas_read_env", "openblas_thread_timeout",
                                               "blas_thread_shutdown_"))


@pytest.mark.skipif(not _openblas_entry_points(), reason="NumPy's BLAS is not such an OpenBLAS")
def test_openblas_loaded_before_minicnn_takes_the_timeout_too():
    """Its threads restart with the short timeout and still multiply correctly."""
    assert _run(NUMPY_FIRST) == ["0", "4", "True"]
