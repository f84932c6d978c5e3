"""How many runs a parallel loop splits its items into."""
from numba import get_num_threads

from ..partition import FIXED_RUNS, fixed_partition


def parallel_runs(items, per_thread=1):
    """`per_thread` runs per Numba thread (several let a thread slowed by other work take
    fewer), never more than the items, at least one."""
    return max(1, min(items, get_num_threads() * per_thread))


def element_runs(n, min_run, per_thread=4):
    """The runs of a loop over n elements: `per_thread` per Numba thread (several, so that
    a thread slowed by other work takes fewer), each of at least `min_run` elements (a
    shorter run costs more to start than it saves); one run, which the caller takes on its
    own thread, below two."""
    return 1 if n < 2 * min_run else parallel_runs(n // min_run, per_thread)


def reduction_runs(items, per_thread=1):
    """The runs of a loop whose runs' partial sums are then added up: parallel_runs, or,
    under partition.use_fixed_partition(True), FIXED_RUNS whatever the thread count."""
    if fixed_partition():
        return max(1, min(items, FIXED_RUNS))
    return parallel_runs(items, per_thread)
