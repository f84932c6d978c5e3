"""The workspace of the GEMM convolutions: how many images' columns one call builds at once,
and whether the batch chunks run on threads."""
import os

import numpy as np

from .. import kernels
from ..threads import batch_shares, one_blas_thread, parallel_for

_workspace_limit = 256 * 2 ** 20
# On the CPU one thread takes a batch chunk through all its stages (im2col or tile
# transform, GEMM, inverse), so a chunk's buffers stay about one core's L2 cache in size.
CORE_CACHE_BYTES = 2 ** 20
_SIZE_UNITS = {"K": 2 ** 10, "M": 2 ** 20, "G": 2 ** 30}
# A call whose whole batch takes less workspace than this runs its chunks in turn on the
# calling thread: its work is then about as short as parallel_for's fixed cost of handing
# chunks to a pool thread and waiting for it, so splitting it saves nothing (the measurement
# is in benchmarks/NOTES.md).
INLINE_WORK_BYTES = 2 ** 19


def core_l2_bytes(root="/sys/devices/system/cpu/cpu0/cache", default=2 ** 21):
    """One core's L2 cache in bytes, as Linux's sysfs describes cpu0 under `root`; `default`
    (2 MiB) where that cannot be read."""
    def read(index, name):
        with open(os.path.join(root, index, name)) as f:
            return f.read().strip()

    try:
        for index in sorted(e for e in os.listdir(root) if e.startswith("index")):
            if read(index, "level") == "2" and read(index, "type") in ("Unified", "Data"):
                size = read(index, "size")
                unit = _SIZE_UNITS.get(size[-1])
                return int(size[:-1]) * unit if unit else int(size)
    except (OSError, ValueError):
        pass
    return default


CORE_L2_BYTES = core_l2_bytes()


def set_workspace_limit(nbytes):
    """Cap, in bytes, on the column (or Winograd tile) buffer of one convolution call
    (default 256 MiB)."""
    global _workspace_limit
    if int(nbytes) <= 0:
        raise ValueError(f"set_workspace_limit: the limit must be positive, got {nbytes}")
    _workspace_limit = int(nbytes)


def get_workspace_limit():
    return _workspace_limit


def threaded(m):
    """Whether the batch chunks of arrays of module `m` run on threads: NumPy arrays, unless
    set_kernels("reference") is in force, under which the chunks run in turn on the calling
    thread, each as large as the workspace limit allows (the readable path)."""
    return m is np and kernels.get_kernels() != "reference"


def batch_chunks(n, bytes_per_image, m=np, min_images=1):
    """Slices of the batch whose buffers fit the workspace limit (≥ 1 image each) and, for
    NumPy arrays, CORE_CACHE_BYTES, unless that would leave fewer than `min_images` images
    in a chunk: then chunks of `min_images` (a GEMM of few rows runs well below BLAS's rate,
    and re-reads the whole filter bank). For NumPy arrays a chunk never holds more than one
    thread's share of the batch, so every thread gets a chunk: a lone chunk would run its
    GEMM on BLAS's own threads, whose sleeping helper must first be woken (ResNet-18's 1×1
    shortcuts at 16² and 8² fit their whole batch in one cache-sized chunk). In deterministic mode the shares are a fixed number
    (threads.batch_shares), so that the chunks do not depend on the thread count. Where the
    chunks do not run on threads (`threaded`), they are as large as the limit allows."""
    per_image = max(bytes_per_image, 1)
    within_limit = max(1, _workspace_limit // per_image)
    if not threaded(m):
        step = within_limit
    else:
        share = max(1, -(-n // batch_shares()))                        # ≥ 1 on an empty batch
        step = min(within_limit, share, max(CORE_CACHE_BYTES // per_image, min_images, 1))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def over_batch_chunks(m, fn, n, bytes_per_image, min_images=1, *, work_bytes=None):
    """fn(part) for each batch chunk (batch_chunks): where `threaded(m)` and the batch's work
    is not small, on threads (threads.parallel_for), each chunk through all its stages on one
    core while its buffers stay in that core's cache; otherwise in turn on the calling
    thread (small work with BLAS on one thread, as parallel_for holds it). The work is small
    below INLINE_WORK_BYTES of `work_bytes`, by default the whole batch's workspace
    (n * bytes_per_image)."""
    chunks = batch_chunks(n, bytes_per_image, m, min_images)
    if work_bytes is None:
        work_bytes = n * bytes_per_image
    if not threaded(m):
        for part in chunks:
            fn(part)
    elif work_bytes >= INLINE_WORK_BYTES:
        parallel_for(fn, chunks)
    else:
        with one_blas_thread():                   # as in parallel_for: the GEMMs are small
            for part in chunks:
                fn(part)
