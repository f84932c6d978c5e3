"""How the cpu kernels split a sum over threads: by the thread count (the default, every
thread busy), or into a fixed number of runs, so that the partial sums, and the order they
are added in, do not depend on the thread count (minicnn's use_deterministic_algorithms
asks for the fixed split)."""
FIXED_RUNS = 16
_fixed = False


def use_fixed_partition(mode):
    """Split sums into FIXED_RUNS runs (at most; one per item where there are fewer) when
    `mode` is true, else by the thread count."""
    global _fixed
    _fixed = bool(mode)


def fixed_partition():
    """Whether sums are split into FIXED_RUNS runs whatever the thread count."""
    return _fixed
