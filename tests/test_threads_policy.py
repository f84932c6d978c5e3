"""Importing minicnn first makes idle BLAS threads sleep instead of spinning and puts Numba on
TBB, thread and fork safe, when the tbb package is there (see minicnn.threads), unless the
environment already chose."""
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
