"""How many runs a parallel loop splits its items into."""
from numba import get_num_threads


def parallel_runs(items, per_thread=1):
    """`per_thread` runs per Numba thread (several let a thread slowed by other work take
    fewer), never more than the items, at least one."""
    return max(1, min(items, get_num_threads() * per_thread))
