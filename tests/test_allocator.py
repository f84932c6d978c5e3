"""Importing minicnn keeps the memory NumPy frees for its next arrays (minicnn.allocator):
an activation-sized array allocated again after being freed faults no pages in."""
import os
import subprocess
import sys

import pytest

# Minor page faults while a 16 MiB array is allocated and written a second time.
PROBE = ("import resource, numpy as np, minicnn\n"
         "def fill():\n"
         "    a = np.empty(16 << 20, np.uint8); a[:] = 1\n"
         "fill()\n"
         "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
         "fill()\n"
         "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)")
PAGES = (16 << 20) // 4096


def _faults(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env}, check=True,
                         capture_output=True, text=True).stdout
    return int(out)


def _glibc():
    import ctypes

    try:
        ctypes.CDLL(None).gnu_get_libc_version
        return True
    except (OSError, AttributeError):
        return False


pytestmark = pytest.mark.skipif(not (sys.platform.startswith("linux") and _glibc()),
                                reason="glibc's malloc only")


def test_a_freed_array_is_reused_without_page_faults():
    assert _faults() < PAGES // 64


def test_the_environment_wins():
    from minicnn import allocator

    os.environ["MALLOC_TRIM_THRESHOLD_"] = "131072"
    try:
        assert allocator.keep_freed_memory() is False
    finally:
        del os.environ["MALLOC_TRIM_THRESHOLD_"]
    # glibc's own behaviour: the mapping of a freed 16 MiB array is given back
    assert _faults(MALLOC_MMAP_THRESHOLD_="131072") > PAGES // 64
