"""Idle OpenBLAS threads sleep instead of spinning.

Numba's parallel kernels, parallel_for's Python threads and BLAS keep separate thread pools
that take turns on the same cores. By default an idle OpenBLAS thread spins for about 2^28
cycles before it sleeps, holding a core that the other pools need next. A timeout of 2^4
cycles (OPENBLAS_THREAD_TIMEOUT=4) puts it to sleep almost at once.

OpenBLAS reads the variable when it loads, that is, when NumPy is first imported. Where
NumPy came before minicnn, OpenBLAS has read its environment already; it re-reads it on
request (openblas_read_env), and its threads, stopped as its fork handler stops them
(blas_thread_shutdown_), start again on its next threaded call with the new timeout.
Libraries without these entry points are left as they are.
"""
import ctypes
import os
import sys

from threadpoolctl import ThreadpoolController

TIMEOUT_VARIABLE = "OPENBLAS_THREAD_TIMEOUT"
SHORT_TIMEOUT = "4"


def set_blas_thread_timeout():
    """Put OPENBLAS_THREAD_TIMEOUT=4 in the environment unless it is set already; returns
    whether it was set here."""
    if TIMEOUT_VARIABLE in os.environ:
        return False
    os.environ[TIMEOUT_VARIABLE] = SHORT_TIMEOUT
    return True


def reread_openblas_timeout():
    """Where NumPy has loaded OpenBLAS already, make it read its timeout from the environment
    again and restart its threads with it; returns whether a loaded OpenBLAS took a new
    timeout."""
    if "numpy" not in sys.modules:
        return False
    changed = False
    for lib in ThreadpoolController().select(internal_api="openblas").lib_controllers:
        try:
            openblas = ctypes.CDLL(lib.filepath)
            read_env, timeout = openblas.openblas_read_env, openblas.openblas_thread_timeout
            shutdown = openblas.blas_thread_shutdown_
        except (OSError, AttributeError):
            continue
        before = timeout()
        read_env()
        if timeout() != before:
            shutdown()
            changed = True
    return changed
