"""Parallel kernels called from several Python threads at once, on every threading layer.

Numba's TBB and OpenMP layers take parallel launches from any number of threads at once.
Its workqueue layer, where Numba falls back when neither is there (the tbb package is only
required on x86_64), takes one launch at a time and terminates the process when a second
thread launches while the first runs. On that layer the kernels that launch parallel
regions run one at a time, behind one lock; on the others, and for the serial nogil kernels
(which parallel_for runs on several threads by design), nothing changes.
"""
import functools
import sys
import threading
import types

import numba
from numba.core.dispatcher import Dispatcher

CONCURRENT_LAYERS = ("tbb", "omp")
_launch = threading.Lock()


def concurrent_launches_allowed():
    """Whether Numba's threading layer takes parallel launches from several threads at once
    (starting Numba's threads, which settles the layer, where they have not started)."""
    numba.get_num_threads()
    return numba.threading_layer() in CONCURRENT_LAYERS


def launches_parallel_regions(kernel):
    """Whether `kernel`'s module, or a module of this package that it imports, holds a
    function compiled with parallel=True."""
    return _holds_parallel_function(sys.modules[kernel.__module__], set())


def _holds_parallel_function(module, seen):
    seen.add(module)
    for value in vars(module).values():
        if isinstance(value, Dispatcher) and value.targetoptions.get("parallel"):
            return True
        if (isinstance(value, types.ModuleType) and value not in seen
                and value.__name__.startswith(__package__ + ".")
                and _holds_parallel_function(value, seen)):
            return True
    return False


def guarded(kernel):
    """`kernel` itself, or, where it launches parallel regions on a layer that takes one
    launch at a time, `kernel` run under the lock that all such kernels share."""
    if not launches_parallel_regions(kernel) or concurrent_launches_allowed():
        return kernel

    @functools.wraps(kernel)
    def one_launch_at_a_time(*args, **kwargs):
        with _launch:
            return kernel(*args, **kwargs)

    return one_launch_at_a_time
