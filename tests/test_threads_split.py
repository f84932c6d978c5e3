"""split_batch: NumPy work over a batch, one contiguous part per thread, BLAS held to one
thread meanwhile."""
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import minicnn as mc
from minicnn.threads import split_batch


@pytest.fixture
def threads():
    before = mc.get_num_threads()
    yield mc.set_num_threads
    mc.set_num_threads(before)


def _blas_threads():
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_parts_cover_the_batch_once_in_order(threads, workers, n):
    threads(workers)
    seen = []
    lock = threading.Lock()

    def record(part):
        with lock:
            seen.append((part.start, part.stop))

    split_batch(record, n)
    seen.sort()
    assert len(seen) == min(workers, n)
    assert seen[0][0] == 0 and seen[-1][1] == n
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(seen, seen[1:]))


def test_parts_run_at_once_with_blas_on_one_thread(threads):
    threads(2)
    meet = threading.Barrier(2, timeout=10)   # a serial run would wait here and fail
    inside = []

    def part(_):
        inside.append(_blas_threads())
        meet.wait()

    split_batch(part, 4)
    assert inside == [[1] * len(inside[0])] * 2
    assert _blas_threads() == [2] * len(_blas_threads())


def test_an_error_in_a_part_reaches_the_caller_and_blas_is_restored(threads):
    threads(2)
    done = []

    def part(p):
        if p.start > 0:
            raise ValueError("part failed")
        done.append(np.ones(3).sum())

    with pytest.raises(ValueError, match="part failed"):
        split_batch(part, 2)
    assert done == [3.0]
    assert _blas_threads() == [2] * len(_blas_threads())
