"""The untimed rest before each timed run, spent with every core busy.

The rest exists so that the other library's idle threads are asleep before the clock
starts (PyTorch's OpenMP threads spin for a while after each op). Sleeping through it has
a cost of its own on a virtual machine: a core left idle through the rest comes back to
the next parallel kernel late, so that two threads run at one core's speed at first (see
NOTES.md). Spinning on every core instead, in a loop of neither library's, keeps the
cores while the other library's threads fall asleep.
"""
import math
import os
import threading
import time

from numba import njit

# Square roots per spin: a short spin, a small fraction of a rest, so that a rest ends soon
# after its deadline.
SPIN_STEPS = 12_000


@njit(nogil=True, cache=True)
def _spin(steps):
    """A dependent chain of square roots, run without the GIL; returns the chain's end."""
    s = 0.0
    for i in range(steps):
        s = math.sqrt(s + i)
    return s


def usable_cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                      # no affinity call on this platform
        return os.cpu_count() or 1


def busy_rest(seconds, cores=None):
    """Keep `cores` cores (default: all usable) spinning for `seconds`; return how many
    spins each core's thread ran."""
    cores = cores or usable_cores()
    deadline = time.perf_counter() + seconds
    spins = [0] * cores

    def spin_until_deadline(k):
        while time.perf_counter() < deadline:
            _spin(SPIN_STEPS)
            spins[k] += 1

    helpers = [threading.Thread(target=spin_until_deadline, args=(k,))
               for k in range(1, cores)]
    for helper in helpers:
        helper.start()
    spin_until_deadline(0)
    for helper in helpers:
        helper.join()
    return spins
