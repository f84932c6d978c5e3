"""parallel_for and even_slices: work spread over Python threads, each taking the next part
when free, with BLAS held to one thread meanwhile."""
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import minicnn as mc
from minicnn.threads import (BLAS_SERIAL_MACS, SMALL_GEMM_MACS, ThreadSums, even_slices,
                             one_blas_thread_below, parallel_for)


@pytest.fixture
def threads():
    before = mc.get_num_threads()
    yield mc.set_num_threads
    mc.set_num_threads(before)


def _blas_threads():
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.mark.parametrize("per_thread", [1, 4])
@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("n", [1, 2, 5, 8, 13])
def test_even_slices_cover_range_once_in_order(threads, workers, n, per_thread):
    threads(workers)
    parts = even_slices(n, per_thread)
    assert len(parts) == min(workers * per_thread, n)
    assert [i for p in parts for i in range(n)[p]] == list(range(n))
    assert max(p.stop - p.start for p in parts) - min(p.stop - p.start for p in parts) <= 1


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_every_part_runs_once(threads, workers):
    threads(workers)
    seen = []
    parallel_for(seen.append, range(11))
    assert sorted(seen) == list(range(11))


def test_parts_run_at_once_with_blas_on_one_thread(threads):
    threads(2)
    meet = threading.Barrier(2, timeout=10)   # parts run one after another would wait here
    inside = []

    def part(_):
        inside.append(_blas_threads())
        meet.wait()

    parallel_for(part, range(2))
    assert inside == [[1] * len(inside[0])] * 2
    assert _blas_threads() == [2] * len(_blas_threads())


def test_small_gemms_hold_blas_to_one_thread(threads):
    threads(2)
    before = _blas_threads()
    with one_blas_thread_below(SMALL_GEMM_MACS - 1):
        assert set(_blas_threads()) == {1}
    assert _blas_threads() == before
    for unlimited in (BLAS_SERIAL_MACS - 1, SMALL_GEMM_MACS):
        with one_blas_thread_below(unlimited):
            assert _blas_threads() == before


def test_a_free_thread_takes_the_next_part(threads):
    """Part 0 waits until part 5 has run: the other thread must take parts 1 to 5 alone
    (with one fixed share per thread it would stop after its own half)."""
    threads(2)
    last_done = threading.Event()
    waited = []

    def part(i):
        if i == 0:
            waited.append(last_done.wait(timeout=10))
        elif i == 5:
            last_done.set()

    parallel_for(part, range(6))
    assert waited == [True]


def test_an_error_in_a_part_reaches_the_caller_and_blas_is_restored(threads):
    threads(2)
    done = []

    def part(i):
        if i == 1:
            raise ValueError("part failed")
        done.append(np.ones(3).sum())

    with pytest.raises(ValueError, match="part failed"):
        parallel_for(part, range(2))
    assert done == [3.0]
    assert _blas_threads() == [2] * len(_blas_threads())


def test_the_caller_does_not_wait_for_a_helper_that_starts_late(threads):
    """With the helper threads held up elsewhere, the caller runs every part itself and
    returns; the helpers, once free, find nothing left. (An earlier test with more workers
    leaves more than one helper in the pool: each is held.)"""
    threads(2)
    parallel_for(lambda _: None, range(2))                 # the helper pool exists
    release = threading.Event()
    from minicnn import threads as pool_owner
    held = [pool_owner._pool.submit(release.wait, 10) for _ in range(pool_owner._pool_size)]
    ran_on = []
    try:
        parallel_for(lambda i: ran_on.append(threading.get_ident()), range(4))
        assert ran_on == [threading.get_ident()] * 4
    finally:
        release.set()
    assert all(h.result() is True for h in held)
    seen = []
    parallel_for(seen.append, range(4))
    assert sorted(seen) == list(range(4))


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_thread_sums_add_every_term_once(threads, workers):
    threads(workers)
    sums = ThreadSums(lambda: np.full(3, np.nan))        # terms must overwrite what they get

    def part(i):
        def write(out):
            out[...] = [i, 2 * i, 1]
        sums.add(write)

    parallel_for(part, range(9))
    np.testing.assert_array_equal(sums.total(), [36, 72, 9])


def test_thread_sums_without_terms_are_zero():
    np.testing.assert_array_equal(ThreadSums(lambda: np.full(2, np.nan)).total(), [0, 0])
