"""How many CPU threads minicnn's kernels and NumPy's BLAS may use.

Numba's parallel kernels and BLAS keep separate thread pools; on a small machine the two
spin against each other between calls, so minicnn lets one setting govern both.
"""
_threads = None
_limiter = None  # keeps threadpoolctl's limit in force


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
