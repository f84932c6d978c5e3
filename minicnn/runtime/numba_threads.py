"""Numba's parallel kernels run on its TBB threading layer where the tbb package is there.

Numba picks its threading layer when it first starts its threads. Its "forksafe" choice
takes TBB where it can load TBB's library, else the workqueue layer. TBB's idle threads
yield their core and come back quickly for the next kernel, and a training step launches
many small ones. The workqueue layer's threads wait on a condition, whose wake-up on a
virtual machine is a round trip through the host. Numba's OpenMP layer starts as quickly
but its idle threads spin, and it is not fork safe on Linux (under GNU libgomp a forked
child that launches a kernel is terminated); TBB is both thread and fork safe.

pip puts TBB's library in <prefix>/lib, outside the dynamic loader's search path, so it is
loaded here, with its symbols global, for Numba's TBB layer to find.
"""
import ctypes
import os
import sys
from importlib import metadata

LAYER_VARIABLE = "NUMBA_THREADING_LAYER"
FORKSAFE = "forksafe"
LAYERS_WITHOUT_TBB = ("omp", "workqueue")
# The TBB runtime library of the `tbb` package, by platform.
TBB_LIBRARIES = ("libtbb.so.12", "libtbb.12.dylib", "tbb12.dll")


def ask_forksafe_layer():
    """Put NUMBA_THREADING_LAYER=forksafe in the environment unless it is set already (and
    into numba.config where Numba, imported before, still has its default); returns whether
    it was set here."""
    if LAYER_VARIABLE in os.environ:
        return False
    os.environ[LAYER_VARIABLE] = FORKSAFE
    numba = sys.modules.get("numba")
    if numba is not None and numba.config.THREADING_LAYER == "default":
        numba.config.THREADING_LAYER = FORKSAFE
    return True


def load_tbb():
    """Load the tbb package's runtime library, if it is installed and the threading layer
    asked for may use it; returns whether it was loaded."""
    if os.environ.get(LAYER_VARIABLE) in LAYERS_WITHOUT_TBB:
        return False
    for path in _tbb_library_paths():
        try:
            ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            return True
        except OSError:
            continue
    return False


def _tbb_library_paths():
    """Where the tbb package's runtime library is: <prefix>/lib for a virtual environment or
    system install, else wherever the installed package's file list says."""
    for name in TBB_LIBRARIES:
        path = os.path.join(sys.prefix, "lib", name)
        if os.path.exists(path):
            return [path]
    try:
        files = metadata.files("tbb") or ()
    except metadata.PackageNotFoundError:
        return []
    return [str(f.locate()) for f in files if f.name in TBB_LIBRARIES]
