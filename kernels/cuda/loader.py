"""Compiles each kernels/cuda/*.cu once per process through cupy.RawModule, and looks up
each of its kernels once.

CuPy keeps the compiled binaries in its on-disk kernel cache, so later
processes skip the compiler.
"""
import functools
import re
from pathlib import Path

import numpy as np

SOURCE_DIR = Path(__file__).parent
THREADS = 256
# NVRTC's options for every module; .ci/run gives nvcc the same ones
NVRTC_OPTIONS = ("--std=c++14",)
# the dtypes the kernels are typed for, and the suffix of each one's entry point
KERNEL_SUFFIXES = {"float32": "f32", "float64": "f64"}
# Arrays of fewer elements than this are indexed with 32-bit ints: every index a kernel forms
# into them, and every thread index of a 1-D launch over them, stays below 2**31.
INDEX32_LIMIT = 2**31 - THREADS
_LOCAL_INCLUDE = re.compile(r'^#include "([\w.]+)"[^\n]*$', re.MULTILINE)


def source(filename):
    """The text of kernels/cuda/<filename> with each `#include "header"` line replaced by
    that header's text: NVRTC gets one self-contained string (no include path), and CuPy's
    cache, keyed on that string, sees a header's edits."""
    text = (SOURCE_DIR / filename).read_text()
    return _LOCAL_INCLUDE.sub(lambda m: source(m.group(1)), text)


@functools.lru_cache(maxsize=None)
def module(name):
    """kernels/cuda/<name>.cu as a cupy.RawModule (compiled on first use, per device)."""
    import cupy

    return cupy.RawModule(code=source(f"{name}.cu"), options=NVRTC_OPTIONS)


@functools.lru_cache(maxsize=None)
def function(module_name, kernel_name, dtype):
    """The entry point `<kernel_name>_f32` or `_f64` of kernels/cuda/<module_name>.cu for
    arrays of `dtype`, looked up once: the cupy.RawKernel returned loads itself onto each
    device it is launched on, so one object serves every launch. TypeError, naming the
    dtypes there are, for any other dtype."""
    name = np.dtype(dtype).name
    suffix = KERNEL_SUFFIXES.get(name)
    if suffix is None:
        raise TypeError(f"CUDA kernel {kernel_name!r} ({module_name}.cu) has no {name} form; "
                        f"it runs on {' and '.join(KERNEL_SUFFIXES)} arrays")
    return module(module_name).get_function(f"{kernel_name}_{suffix}")


def indexed_function(module_name, kernel_name, dtype, *extents):
    """function() of the form of `kernel_name` that computes with `extents`: the sizes of the
    arrays it indexes and every integer argument it takes (shape, stride, padding, window
    ...). The 32-bit one (`<kernel_name>_f32` / `_f64`) where every extent is below
    INDEX32_LIMIT, else the 64-bit one (`<kernel_name>_i64_f32` / `_f64`), whose integer
    arguments are not narrowed to int; see thread_index.cuh."""
    wide = max(extents) >= INDEX32_LIMIT
    return function(module_name, f"{kernel_name}_i64" if wide else kernel_name, dtype)


def launch_1d(kernel, n, args):
    """Run `kernel` with one thread per element of an n-element problem."""
    blocks = (n + THREADS - 1) // THREADS
    if blocks:
        kernel((blocks,), (THREADS,), args)


def launch_blocks(kernel, blocks, args):
    """Run `kernel` with `blocks` blocks of THREADS threads: a count, or a grid of counts
    (x, y) where the blocks along y share one reduction."""
    grid = blocks if isinstance(blocks, tuple) else (blocks,)
    if all(grid):
        kernel(grid, (THREADS,), args)


def ints(*values):
    """Sizes as the `long long` arguments every kernel takes."""
    return tuple(np.int64(v) for v in values)
