"""How many CPU threads minicnn's kernels and NumPy's BLAS may use, and work spread over them.

Numba's parallel kernels and BLAS keep separate thread pools that take turns on the same
cores; `set_num_threads` lets one setting govern both. `parallel_for` runs the parts of a
batch on Python threads, with BLAS held to one thread meanwhile, and `ThreadSums` adds up
what the parts compute without locks. How idle pool threads wait (asleep, not spinning) is
a process-wide setting made in minicnn.runtime.
"""
import threading

_threads = None
_limiter = None  # keeps threadpoolctl's limit in force
_blas = None     # threadpoolctl's handles on the loaded BLAS libraries, for parallel_for
_pool = None     # Python threads that run parallel_for's parts beside the caller
_pool_size = 0


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
    thread that wakes late (its core given away while it slept, as on a busy virtual
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
    them, found once, so that setting and restoring a limit stays cheap)."""

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
