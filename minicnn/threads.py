"""How many CPU threads minicnn's kernels and NumPy's BLAS may use, and how idle ones wait.

Numba's parallel kernels and BLAS keep separate thread pools that take turns. By default an
idle OpenBLAS thread spins for about 2^28 cycles and an idle OpenMP thread spins too, so on a
small machine each pool's spinning threads hold the cores the other pool needs next (a
conv3x3 forward on 2 cores: 266 ms, against 48 ms on 1 thread). `quiet_idle_threads` makes
them sleep instead; `set_num_threads` lets one setting govern both pools.
"""
import os
import sys

_threads = None
_limiter = None  # keeps threadpoolctl's limit in force
_blas = None     # threadpoolctl's handle on the loaded BLAS, for split_batch
_pool = None     # Python threads that run split_batch's parts after the first
_pool_size = 0


def quiet_idle_threads():
    """Idle pool threads sleep instead of spinning, unless the environment already says
    otherwise: OpenBLAS after 2^4 cycles (read when NumPy loads its BLAS, so this acts when
    minicnn is imported first), and Numba on its workqueue layer, whose threads wait on a
    condition. Numba's OpenMP layer would also share libgomp's threads with PyTorch in the
    same process, which starves both. The workqueue layer does not take parallel kernels
    launched from several Python threads at once; NUMBA_THREADING_LAYER=tbb does."""
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
    layer = os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
    numba = sys.modules.get("numba")
    if numba is not None and numba.config.THREADING_LAYER == "default":
        numba.config.THREADING_LAYER = layer


def set_num_threads(n):
    """Use at most `n` threads in Numba kernels and in BLAS (through threadpoolctl)."""
    global _threads, _limiter
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: need at least 1 thread, got {n}")
    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    _limiter = threadpool_limits(limits=n, user_api="blas")
    _threads = n


def get_num_threads():
    """The count set by set_num_threads, or Numba's default when none was set."""
    if _threads is not None:
        return _threads
    import numba

    return numba.get_num_threads()


def split_batch(fn, n):
    """Call fn(part) for contiguous slices `part` covering range(n), one per thread, at once.

    For NumPy work on many small matrices (a batch of attention heads): each BLAS call
    there is too small for BLAS's own threads, so the batch is split instead, and BLAS is
    held to one thread meanwhile (or each part's calls would share its pool). fn must
    release the GIL (BLAS calls, ufuncs over whole arrays) and must not launch Numba's
    parallel kernels, whose workqueue layer takes one caller at a time. An exception in
    any part reaches the caller after every part has finished.
    """
    global _blas, _pool, _pool_size
    workers = min(get_num_threads(), n)
    if workers < 2:
        fn(slice(0, n))
        return
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    if _pool_size < workers - 1:
        from concurrent.futures import ThreadPoolExecutor

        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool = ThreadPoolExecutor(max_workers=workers - 1, thread_name_prefix="minicnn")
        _pool_size = workers - 1
    bounds = [n * i // workers for i in range(workers + 1)]
    parts = [slice(a, b) for a, b in zip(bounds, bounds[1:])]
    with _blas.limit(limits=1, user_api="blas"):
        others = [_pool.submit(fn, part) for part in parts[1:]]
        try:
            fn(parts[0])
        finally:
            errors = [f.exception() for f in others]
    for error in errors:
        if error is not None:
            raise error
