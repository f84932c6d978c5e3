"""How many CPU threads minicnn's kernels and NumPy's BLAS may use, work spread over them,
and deterministic mode.

Numba's parallel kernels and BLAS keep separate thread pools that take turns on the same
cores; `set_num_threads` lets one setting govern both. `parallel_for` runs the parts of a
batch on Python threads, with BLAS held to one thread meanwhile, and `ThreadSums` adds up
what the parts compute without locks. Several Python threads may train at once: they share
parallel_for's pool, and BLAS stays on one thread until the last of their parallel_for
calls is over. `use_deterministic_algorithms(True)` makes those sums independent of the
thread count. How idle pool threads wait (asleep, not spinning) is a process-wide setting
made in minicnn.runtime.
"""
import contextlib
import threading

from .kernels.partition import use_fixed_partition

# GEMMs of fewer multiply-adds than this run with BLAS on one thread (one_blas_thread_below):
# a second BLAS thread does not pay for itself on them even when awake, and when it sleeps
# (after parallel_for held BLAS to one thread) waking it costs far more than the product.
SMALL_GEMM_MACS = 2 ** 22
# Below this OpenBLAS, NumPy's BLAS, keeps a GEMM on one thread by itself (65536 times its
# default GEMM_MULTITHREAD_THRESHOLD of 4): no limit to set, whose setting and restoring
# would cost more than such a product.
BLAS_SERIAL_MACS = 2 ** 18
_UNLIMITED = contextlib.nullcontext()

# Deterministic mode: parallel_for's parts go in this many runs of consecutive parts (fewer
# where there are fewer parts), and batch_shares() cuts a batch into this many shares.
FIXED_RUNS = 8

_threads = None
_limiter = None  # keeps threadpoolctl's limit in force
_blas = None     # threadpoolctl's handles on the loaded BLAS libraries, for parallel_for
_blas_held = 0   # parallel_for calls (from any Python thread) now holding BLAS to one thread
_blas_saved = None
_blas_lock = threading.Lock()
_pool = None     # Python threads that run parallel_for's parts beside the caller
_pool_size = 0
_pool_lock = threading.Lock()
_deterministic = False
_warn_only = False


class _Run(threading.local):
    """The run of parts this thread goes through in deterministic mode (None outside)."""

    index = None


_run = _Run()


def set_num_threads(n):
    """Use at most `n` threads in Numba kernels and in BLAS (through threadpoolctl; BLAS
    stays on one thread in deterministic mode)."""
    global _threads
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: need at least 1 thread, got {n}")
    import numba

    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    _threads = n
    _limit_blas()


def _limit_blas():
    """BLAS on one thread in deterministic mode, else on set_num_threads' count, else on
    as many threads as before minicnn limited it."""
    global _limiter
    from threadpoolctl import threadpool_limits

    if _deterministic or _threads is not None:
        _limiter = threadpool_limits(limits=1 if _deterministic else _threads, user_api="blas")
    elif _limiter is not None:
        _limiter.restore_original_limits()
        _limiter = None


def get_num_threads():
    """The count set by set_num_threads, or Numba's default (NUMBA_NUM_THREADS, read
    without starting Numba's threads) when none was set."""
    if _threads is not None:
        return _threads
    import numba

    return numba.config.NUMBA_NUM_THREADS


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Make training bit-reproducible at any thread count, as torch.use_deterministic_algorithms
    does for its ops: the same inputs give the same bits with one thread or many, run after
    run, on the CPU.

    The weight-gradient sums are then cut and added in a fixed way: parallel_for deals its
    parts out in FIXED_RUNS runs of consecutive parts, each run gone through in order on one
    thread, and ThreadSums keeps one sum per run, added up in run order (the dW of the GEMM,
    1×1 and Winograd convolutions); batch_chunks cuts a batch into FIXED_RUNS shares rather
    than one per thread; the Numba kernels that add up per-run partial sums (LayerNorm's dγ
    and dβ, the channels-last depthwise dW) take kernels.partition.FIXED_RUNS runs; and BLAS
    runs on one thread, since OpenBLAS adds up a GEMM's long inner dimension (from a few
    hundred terms) in an order that depends on its thread count. The other sums do not
    depend on the thread count in either mode: BatchNorm's and the direct depthwise
    kernel's, pooling, softmax and NumPy's reductions.

    Without it, results may differ in the last bits from one thread count to another: the
    weight gradients of conv2d (GEMM, 1×1 and Winograd paths) and conv_transpose2d, whose
    batch shares follow the thread count (their runs too beyond FIXED_RUNS threads), those
    of layer_norm and of depthwise conv2d on small maps, and every GEMM outside
    parallel_for (linear, matmul, attention's projections). ThreadSums keeps one sum per run
    in both modes, so at one thread count they repeat run after run whichever thread took
    which run.

    Call it from the main thread: OpenBLAS can ignore a thread limit set from another
    thread, and deterministic mode then stays off with a RuntimeError. CuPy arrays are not
    covered: on the GPU, max-pooling's backward (overlapping windows), index and embedding
    backward (scatter_add) and weighted bincount add with atomics. `warn_only` is accepted
    as in PyTorch; no CPU op lacks a deterministic form."""
    global _deterministic, _warn_only
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            raise TypeError(f"use_deterministic_algorithms: {name} must be a bool, got "
                            f"{type(value).__name__} {value!r}")
    _deterministic, _warn_only = mode, warn_only
    use_fixed_partition(mode)
    _limit_blas()
    if mode and _blas_threads_seen_here() - {1}:
        use_deterministic_algorithms(False)
        raise RuntimeError("use_deterministic_algorithms: BLAS did not take the limit of one "
                           "thread asked for from this thread (OpenBLAS can ignore a limit "
                           "set outside the main thread); call it from the main thread")


def _blas_threads_seen_here():
    """The thread counts the loaded BLAS libraries report to this thread."""
    from threadpoolctl import threadpool_info

    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def are_deterministic_algorithms_enabled():
    """Whether use_deterministic_algorithms(True) is in force."""
    return _deterministic


def is_deterministic_algorithms_warn_only_enabled():
    """Whether deterministic mode was asked for with warn_only=True."""
    return _warn_only


def batch_shares():
    """How many shares a batch is cut into at least, for the threads to take: the thread
    count, or FIXED_RUNS in deterministic mode, whatever the thread count."""
    return FIXED_RUNS if _deterministic else get_num_threads()


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
    not yet started are then skipped. The parts go in `run_count()` runs of consecutive
    parts, each run through in order on one thread and taken whole by the next free thread,
    so that ThreadSums, which keeps one sum per run, adds the same terms in the same order
    whichever thread ran which run.
    """
    parts = list(parts)
    if not parts:
        return
    fn, parts = _in_fixed_runs(fn, parts, run_count())
    workers = min(get_num_threads(), len(parts))
    if workers < 2:
        for part in parts:
            fn(part)
        return
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

    with one_blas_thread():
        _submit(work, workers - 1)
        work()
        with changed:
            changed.wait_for(lambda: running[0] == 0)
    if failed:
        raise failed[0]


def _submit(work, count):
    """Queue `count` calls of work() on the pool, grown first where it has fewer threads; the
    lock keeps another caller from replacing the pool between the two."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool_size < count:
            from concurrent.futures import ThreadPoolExecutor

            if _pool is not None:
                _pool.shutdown(wait=False)          # its queued calls still run
            _pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="minicnn")
            _pool_size = count
        for _ in range(count):
            _pool.submit(work)


def run_count():
    """How many runs parallel_for cuts its parts into: FIXED_RUNS in deterministic mode,
    whatever the thread count; otherwise FIXED_RUNS, or one per thread beyond that (more runs
    than threads let a free thread take over the runs of a slowed one)."""
    return FIXED_RUNS if _deterministic else max(FIXED_RUNS, get_num_threads())


def _in_fixed_runs(fn, parts, count):
    """(run_fn, runs): the parts cut into `count` runs of consecutive parts (fewer where
    there are fewer parts), and a function that goes through one run's parts in order with
    the run's index set for ThreadSums."""
    count = min(count, len(parts))
    bounds = [len(parts) * i // count for i in range(count + 1)]
    runs = list(enumerate(parts[a:b] for a, b in zip(bounds, bounds[1:])))

    def run_in_order(run):
        _run.index, members = run
        try:
            for part in members:
                fn(part)
        finally:
            _run.index = None

    return run_in_order, runs


def one_blas_thread_below(macs):
    """The context a GEMM of `macs` multiply-adds on NumPy arrays runs in: BLAS held to one
    thread (as inside parallel_for) from BLAS_SERIAL_MACS up to SMALL_GEMM_MACS, else BLAS
    as configured."""
    return one_blas_thread() if BLAS_SERIAL_MACS <= macs < SMALL_GEMM_MACS else _UNLIMITED


class one_blas_thread:
    """Hold every loaded BLAS to one thread inside the block, until the last of the blocks
    open in any Python thread closes (threadpoolctl's handles on them, found once, so that
    setting and restoring a limit stays cheap)."""

    def __enter__(self):
        global _blas, _blas_held, _blas_saved
        with _blas_lock:
            if _blas is None:
                from threadpoolctl import ThreadpoolController

                _blas = ThreadpoolController().select(user_api="blas").lib_controllers
            if _blas_held == 0:
                _blas_saved = [blas.get_num_threads() for blas in _blas]
                for blas in _blas:
                    blas.set_num_threads(1)
            _blas_held += 1

    def __exit__(self, *exc):
        global _blas_held
        with _blas_lock:
            _blas_held -= 1
            if _blas_held == 0:
                for blas, n in zip(_blas, _blas_saved):
                    blas.set_num_threads(n)


_DONE = object()


class ThreadSums:
    """A sum that parts run by parallel_for add terms into without locks: one accumulator
    per run of parts (see parallel_for), added up by `total()` in run order. Each run's terms
    come in its parts' order, so the total does not depend on which thread ran which run
    (nor, in deterministic mode, where the runs are fixed, on how many threads there were).
    Outside parallel_for, one accumulator per calling thread.

    `add(write)` calls write(out) to put a term into `out`: on an accumulator's first term
    `out` is the accumulator itself (no zeroing, no extra pass over it), afterwards a scratch
    buffer of the thread's, reused, that is then added in. `empty()` makes both."""

    def __init__(self, empty):
        self._empty = empty
        self._sums = {}
        self._scratch = {}

    def add(self, write):
        run = _run.index
        key = threading.get_ident() if run is None else run
        acc = self._sums.get(key)
        if acc is None:
            acc = self._empty()
            write(acc)
            self._sums[key] = acc
            return
        thread = threading.get_ident()
        scratch = self._scratch.get(thread)
        if scratch is None:
            scratch = self._scratch[thread] = self._empty()
        write(scratch)
        acc += scratch

    def total(self):
        sums = [self._sums[key] for key in sorted(self._sums)]
        if not sums:
            total = self._empty()
            total[...] = 0
            return total
        total = sums[0]
        for acc in sums[1:]:
            total += acc
        return total
