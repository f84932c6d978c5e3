"""How many CPU threads minicnn's kernels and NumPy's BLAS may use, and how idle ones wait.

Numba's parallel kernels and BLAS keep separate thread pools that take turns. By default an
idle OpenBLAS thread spins for about 2^28 cycles and an idle OpenMP thread spins too, so on a
small machine each pool's spinning threads hold the cores the other pool needs next (a
conv3x3 forward on 2 cores: 266 ms, against 48 ms on 1 thread). `quiet_idle_threads` makes
them sleep instead, and puts Numba on TBB, whose idle threads yield their core and come back
quickly; `set_num_threads` lets one setting govern both pools.
"""
import os
import sys
import threading

_threads = None
_limiter = None  # keeps threadpoolctl's limit in force
_blas = None     # threadpoolctl's handles on the loaded BLAS libraries, for parallel_for
_pool = None     # Python threads that run parallel_for's parts beside the caller
_pool_size = 0


# The TBB runtime library of the `tbb` package, by platform.
_TBB_LIBRARIES = ("libtbb.so.12", "libtbb.12.dylib", "tbb12.dll")


def quiet_idle_threads():
    """Idle pool threads sleep instead of spinning, unless the environment already says
    otherwise: OpenBLAS after 2^4 cycles (read when NumPy loads its BLAS, and re-read where
    NumPy was imported before minicnn), and Numba on its "forksafe" choice of threading
    layer: TBB when the tbb package is installed, else the workqueue layer.

    On a two-core virtual machine a parallel kernel launched after 1 ms of other work cost
    16 µs on TBB against 575 µs on the workqueue layer, whose threads wait on a condition
    and whose wake-up there takes a host round trip (MobileNet's training step launches about
    a hundred such small kernels). Numba's OpenMP layer starts as fast but is not fork safe
    on Linux (libgomp: a forked child that launches a kernel is terminated), and its idle
    threads spin; TBB is both thread and fork safe."""
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
    if "numpy" in sys.modules:
        _reread_openblas_timeout()
    _load_tbb()
    layer = os.environ.setdefault("NUMBA_THREADING_LAYER", "forksafe")
    numba = sys.modules.get("numba")
    if numba is not None and numba.config.THREADING_LAYER == "default":
        numba.config.THREADING_LAYER = layer


def _reread_openblas_timeout():
    """Where NumPy loaded OpenBLAS before minicnn was imported, its threads took the timeout
    from the environment as it was then (2^28 cycles, about 0.1 s of spinning after every
    threaded BLAS call, on a core that Numba's or parallel_for's threads need). OpenBLAS
    re-reads its environment on request (openblas_read_env); its threads, stopped as its
    fork handler stops them (blas_thread_shutdown_), start again on its next threaded call
    with the new timeout. Libraries without these entry points are left as they are."""
    import ctypes

    from threadpoolctl import ThreadpoolController

    for lib in ThreadpoolController().select(internal_api="openblas").lib_controllers:
        try:
            openblas = ctypes.CDLL(lib.filepath)
            read_env, timeout = openblas.openblas_read_env, openblas.openblas_thread_timeout
            shutdown = openblas.blas_thread_shutdown_
        except (OSError, AttributeError):
            continue
        before = timeout()
        read_env()
        if timeout() != before:
            shutdown()


def _load_tbb():
    """Load the tbb package's runtime library, if it is installed, so that Numba's TBB layer
    finds it: pip puts it in <prefix>/lib, outside the dynamic loader's search path."""
    import ctypes

    for path in _tbb_library_paths():
        try:
            ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            return
        except OSError:
            continue


def _tbb_library_paths():
    """Where the tbb package's runtime library is: <prefix>/lib for a virtual environment or
    system install, else wherever the installed package's file list says."""
    for name in _TBB_LIBRARIES:
        path = os.path.join(sys.prefix, "lib", name)
        if os.path.exists(path):
            return [path]
    from importlib import metadata

    try:
        files = metadata.files("tbb") or ()
    except metadata.PackageNotFoundError:
        return []
    return [str(f.locate()) for f in files if f.name in _TBB_LIBRARIES]


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


def even_slices(n, per_thread=1):
    """range(n) as `per_thread` contiguous slices per thread (fewer when n is smaller)."""
    count = max(1, min(get_num_threads() * per_thread, n))
    bounds = [n * i // count for i in range(count + 1)]
    return [slice(a, b) for a, b in zip(bounds, bounds[1:])]


def parallel_for(fn, parts):
    """Call fn(part) for every item of `parts` on up to get_num_threads() threads at once,
    the caller's among them; each thread takes the next part when it comes free, so a core
    slowed by other work takes fewer. The caller returns once every part has run: a helper
    thread that wakes late (its core given away while it slept, about 4 ms on a busy virtual
    machine) finds no part left and is not waited for.

    For work that releases the GIL: NumPy calls, and Numba kernels compiled with
    nogil=True, not parallel=True (those bring their own threads, and Numba's workqueue
    layer, where TBB is missing, takes one caller at a time).
    BLAS is held to one thread meanwhile, as its own threads would want the same cores.
    An exception in a part reaches the caller once the running parts have finished; parts
    not yet started are then skipped.
    """
    global _pool, _pool_size
    parts = list(parts)
    workers = min(get_num_threads(), len(parts))
    if workers < 2:
        for part in parts:
            fn(part)
        return
    if _pool_size < workers - 1:
        from concurrent.futures import ThreadPoolExecutor

        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool = ThreadPoolExecutor(max_workers=workers - 1, thread_name_prefix="minicnn")
        _pool_size = workers - 1
    queue = iter(parts)
    changed = threading.Condition()
    running = [0]     # parts started and not yet finished
    failed = []

    def work():
        while True:
            with changed:
                part = _DONE if failed else next(queue, _DONE)
                if part is _DONE:
                    return
                running[0] += 1
            try:
                fn(part)
            except BaseException as error:
                failed.append(error)
            finally:
                with changed:
                    running[0] -= 1
                    changed.notify_all()

    with _one_blas_thread():
        for _ in range(workers - 1):
            _pool.submit(work)
        work()
        with changed:
            changed.wait_for(lambda: running[0] == 0)
    if failed:
        raise failed[0]


class _one_blas_thread:
    """Hold every loaded BLAS to one thread inside the block (threadpoolctl's handles on
    them, found once; about 1 µs to set and restore)."""

    def __enter__(self):
        global _blas
        if _blas is None:
            from threadpoolctl import ThreadpoolController

            _blas = ThreadpoolController().select(user_api="blas").lib_controllers
        self.saved = [blas.get_num_threads() for blas in _blas]
        for blas in _blas:
            blas.set_num_threads(1)

    def __exit__(self, *exc):
        for blas, n in zip(_blas, self.saved):
            blas.set_num_threads(n)


_DONE = object()


class ThreadSums:
    """A sum that parts run by parallel_for add terms into without locks: one accumulator
    per thread, added up by `total()` at the end.

    `add(write)` calls write(out) to put a term into `out`: on a thread's first term `out`
    is the thread's accumulator itself (no zeroing, no extra pass over it), afterwards a
    scratch buffer of the thread's, reused, that is then added in. `empty()` makes both."""

    def __init__(self, empty):
        self._empty = empty
        self._sums = {}
        self._scratch = {}

    def add(self, write):
        key = threading.get_ident()
        acc = self._sums.get(key)
        if acc is None:
            acc = self._empty()
            write(acc)
            self._sums[key] = acc
            return
        scratch = self._scratch.get(key)
        if scratch is None:
            scratch = self._scratch[key] = self._empty()
        write(scratch)
        acc += scratch

    def total(self):
        sums = list(self._sums.values())
        if not sums:
            total = self._empty()
            total[...] = 0
            return total
        total = sums[0]
        for acc in sums[1:]:
            total += acc
        return total
