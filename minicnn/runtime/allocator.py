"""Keep the memory NumPy frees for its next arrays, on glibc's malloc.

glibc serves a block over its mmap threshold (128 KiB at first, raised to the size of each
mapped block freed since) with a fresh mapping and unmaps it when freed, and returns the top
of its heap to the system past its trim threshold. Either way the next array of that size
starts on pages the kernel must fault in and zero, one fault per 4 KiB to 128 KiB. A
training step frees and allocates the same activations every time, so it would pay this on
most of them.

`keep_freed_memory` serves blocks up to 32 MiB (glibc's ceiling for the setting on 64-bit
machines) from the heap and stops giving the heap back, so a step reuses the pages of the
last one. The resident set then stays at its high-water mark instead of shrinking between
steps, as with PyTorch's caching allocator on a GPU. Setting any of MALLOC_MMAP_THRESHOLD_,
MALLOC_TRIM_THRESHOLD_, MALLOC_TOP_PAD_ or a glibc.malloc tunable in GLIBC_TUNABLES keeps
glibc's own behaviour.
"""
import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1      # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 2 ** 31 - 1
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")


def keep_freed_memory():
    """Set glibc's mmap and trim thresholds as above; returns whether they were set (False
    off Linux, on another C library, or when the environment already chose)."""
    if not sys.platform.startswith("linux") or _user_chose():
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version            # glibc only
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def _user_chose():
    return (any(name in os.environ for name in USER_SETTINGS)
            or "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""))
