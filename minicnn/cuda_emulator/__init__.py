"""A CPU stand-in for CuPy and a GPU, so that minicnn's CUDA half runs where there is no GPU.

With MINICNN_CUDA_EMULATE=1 in the environment, `import minicnn` installs this package's
`cupy` (and `cupyx`) in sys.modules: `mc.cuda.is_available()` is true, `mc.device("cuda")`
and `Tensor.cuda()` work, and every CUDA kernel in kernels/cuda/*.cu runs, compiled by the
host C++ compiler against cuda_shim.h and launched by block_runner.cpp (one block's threads
as cooperative fibers, so shared memory and __syncthreads() keep their meaning; blocks
spread over OS threads). The stand-in is just enough CuPy for minicnn and keeps CuPy's rules
where breaking them gives wrong answers on a GPU: host and device arrays do not mix
implicitly, arrays belong to a device and are computed on with that device current, and a
kernel launch checks each argument against the kernel's parameter types.

Why a shim of our own: running CUDA C on the CPU needs a runtime that gives the sources
threadIdx, __shared__ memory and a real barrier, and none that the project can install is
served by the package registries: HIP-CPU, the header-only runtime that does this for HIP
sources, is not on PyPI, and CuPy runs no kernel without a GPU driver. minicnn's kernels use
a small part of CUDA C (the indices, one barrier, shared arrays, atomicAdd, math functions),
so a header of that part and a block runner are all the emulator needs.
"""
import importlib.machinery
import os
import sys

VARIABLE = "MINICNN_CUDA_EMULATE"


def requested():
    return os.environ.get(VARIABLE, "") == "1"


def install():
    """Make `import cupy` and `import cupyx` give the emulator."""
    from . import cupy_namespace, cupyx_namespace

    for name, module in (("cupy", cupy_namespace), ("cupy.cuda", cupy_namespace.cuda),
                         ("cupy.random", cupy_namespace.random), ("cupyx", cupyx_namespace),
                         ("cupyx.scipy", cupyx_namespace.scipy),
                         ("cupyx.scipy.special", cupyx_namespace.scipy.special)):
        module.__spec__ = importlib.machinery.ModuleSpec(name, None)
        sys.modules[name] = module


def install_if_requested():
    if requested():
        install()
