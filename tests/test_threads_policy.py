"""Importing minicnn first makes idle BLAS and Numba threads sleep instead of spinning (see
minicnn.threads), unless the environment already chose."""
import os
import subprocess
import sys

PROBE = ("import minicnn, numba, os; minicnn.nn.functional.max_pool2d(minicnn.randn(1, 1, 4, 4), 2);"
         "print(os.environ['OPENBLAS_THREAD_TIMEOUT'], numba.threading_layer())")


def _probe(**env):
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OPENBLAS_THREAD_TIMEOUT", "NUMBA_THREADING_LAYER")}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env}, check=True,
                         capture_output=True, text=True).stdout.split()
    return out


def test_idle_threads_sleep_by_default():
    assert _probe() == ["4", "workqueue"]


def test_the_environment_wins():
    assert _probe(OPENBLAS_THREAD_TIMEOUT="20", NUMBA_THREADING_LAYER="omp") == ["20", "omp"]
