"""Refuse, before allocating it, an array larger than this machine's memory.

Ops whose output size comes from an argument (the factories' sizes, a module's
features, a convolution's padding, an interpolation's size) call `check_fits` with that
size before any work starts. NumPy itself asks the system for an array's memory only when
it makes the array: under Linux's default overcommit rule a request beyond memory and swap
fails at once, but with overcommit always granted (vm.overcommit_memory = 1) it succeeds,
and the process is killed once the op writes the pages. The check makes both cases a
MemoryError that names the op, the shape and the bytes. CUDA arrays are left to CuPy,
whose allocator refuses at once what the device cannot hold.
"""
import functools
import os

import numpy as np

from .backend import Device
from .dtypes import get_default_dtype


@functools.cache
def memory_and_swap_bytes():
    """RAM plus swap in bytes, from /proc/meminfo (Linux) or else the physical pages the
    system reports; None where neither can be read."""
    try:
        with open("/proc/meminfo") as f:
            sizes = dict(line.split(":", 1) for line in f)
        return sum(int(sizes[key].split()[0]) * 1024 for key in ("MemTotal", "SwapTotal"))
    except (OSError, KeyError, ValueError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def check_fits(op, what, shape, dtype, device=None):
    """Raise MemoryError when `what` (an array of `shape` and `dtype` that `op` is about to
    make on `device`, the CPU when None; `dtype` None is the default dtype) is larger than
    memory and swap together. A shape that is not made of non-negative integers passes: the
    op's own checks report it."""
    count = 1
    for size in shape:
        if not isinstance(size, (int, np.integer)) or size < 0:
            return
        count *= int(size)                    # Python ints: no overflow at absurd sizes
    if device is not None and (device if type(device) is Device else Device(device)).type != "cpu":
        return
    dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
    limit = memory_and_swap_bytes()
    nbytes = count * dtype.itemsize
    if limit is not None and nbytes > limit:
        raise MemoryError(
            f"{op}: {what} of shape {tuple(int(s) for s in shape)} and dtype "
            f"{dtype.name} needs {nbytes:,} bytes ({nbytes / 2 ** 30:,.1f} GiB), "
            f"more than the {limit / 2 ** 30:,.1f} GiB of memory and swap of this machine")
