"""DataLoader under failure: timeouts, exceptions in a worker, the collate function or the
sampler, a worker thread that dies, and iterators dropped midway. Every case must end
(each runs under a watchdog) and leave no worker thread behind."""
import ctypes
import gc
import threading
import time

import numpy as np
import pytest

from conftest import Samples
from minicnn.data import DataLoader

WATCHDOG_SECONDS = 20



class Boom(Exception):
    pass


def fail_at_7(i):
    if i == 7:
        raise Boom(f"sample {i} is broken")
    return np.zeros(2, np.float32), i


def slow_at(index, seconds):
    def make(i):
        if i == index:
            time.sleep(seconds)
        return np.full(2, i, np.float32)
    return make


def worker_threads():
    return [t for t in threading.enumerate() if t.name.startswith("minicnn-data")]


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def bounded(fn, seconds=WATCHDOG_SECONDS):
    """Run `fn` in a thread; its result, or its exception re-raised; fail if it hangs."""
    outcome = {}

    def target():
        try:
            outcome["result"] = fn()
        except BaseException as error:  # handed to the test thread
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"hung for more than {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@pytest.fixture(autouse=True)
def no_worker_left_behind():
    assert wait_for(lambda: not worker_threads()), worker_threads()
    yield
    assert wait_for(lambda: not worker_threads()), f"threads left running: {worker_threads()}"


# ---- timeout ---------------------------------------------------------------------------------

def test_a_slow_worker_times_out_with_pytorchs_message():
    loader = DataLoader(Samples(8, slow_at(5, 3.0)), batch_size=2, num_workers=2, timeout=0.3)
    seen = []
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0\.3 seconds") as info:
        bounded(lambda: [seen.append(b.tolist()) for b in loader])
    assert time.monotonic() - started < 2.5
    assert seen == [[[0, 0], [1, 1]], [[2, 2], [3, 3]]]
    assert "batch 2" in str(info.value)


def test_timeout_zero_waits_as_long_as_it_takes():
    loader = DataLoader(Samples(4, slow_at(1, 0.4)), batch_size=1, num_workers=2, timeout=0)
    assert [int(b[0, 0]) for b in bounded(lambda: list(loader))] == [0, 1, 2, 3]


def test_a_generous_timeout_lets_every_batch_through():
    loader = DataLoader(Samples(6, slow_at(2, 0.1)), batch_size=2, num_workers=3, timeout=10)
    assert len(bounded(lambda: list(loader))) == 3


@pytest.mark.parametrize("timeout", [-1, -0.5, float("nan"), float("inf"), "1", True, None])
def test_bad_timeouts_are_rejected(timeout):
    with pytest.raises(ValueError, match="timeout"):
        DataLoader(Samples(4, fail_at_7), timeout=timeout)


# ---- exceptions reach the caller, naming the failing index ------------------------------------

@pytest.mark.parametrize("num_workers", [0, 1, 3])
def test_a_sample_exception_names_the_index_and_carries_the_worker_traceback(num_workers):
    loader = DataLoader(Samples(12, fail_at_7), batch_size=3, num_workers=num_workers)
    with pytest.raises(Boom, match="sample 7 is broken") as info:
        bounded(lambda: list(loader))
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "sample index 7 of batch 2" in notes
    if num_workers:
        assert "DataLoader worker thread minicnn-data" in notes
        assert "fail_at_7" in notes and "Traceback" in notes  # the worker's traceback text


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_collate_exception_reaches_the_caller(num_workers):
    def collate(samples):
        if 4 in [int(s[0]) for s in samples]:
            raise Boom("cannot collate")
        return samples

    loader = DataLoader(Samples(10, slow_at(-1, 0)), batch_size=2, collate_fn=collate,
                        num_workers=num_workers)
    seen = []
    with pytest.raises(Boom, match="cannot collate") as info:
        bounded(lambda: [seen.append(b) for b in loader])
    assert len(seen) == 2
    assert "while collating batch 2, sample indices [4, 5]" in "\n".join(info.value.__notes__)


@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize("kind", ["sampler", "batch_sampler"])
def test_a_sampler_exception_reaches_the_caller(num_workers, kind):
    def sampler():
        for i in range(5):
            yield [i] if kind == "batch_sampler" else i
        raise Boom("the sampler broke")

    class Sampler:
        def __iter__(self):
            return sampler()

        def __len__(self):
            return 10

    loader = DataLoader(Samples(10, slow_at(-1, 0)), num_workers=num_workers, **{kind: Sampler()})
    with pytest.raises(Boom, match="the sampler broke"):
        bounded(lambda: list(loader))


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit, MemoryError])
def test_base_exceptions_in_a_worker_reach_the_caller(error):
    def make(i):
        if i == 3:
            raise error("from the worker")
        return np.zeros(1)

    with pytest.raises(error):
        bounded(lambda: list(DataLoader(Samples(6, make), num_workers=2)))


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_thread_that_dies_is_reported_not_waited_for():
    loader = DataLoader(Samples(3, slow_at(-1, 0)), num_workers=1, prefetch_factor=1)
    it = iter(loader)
    (worker,) = worker_threads()
    assert wait_for(lambda: len(loader.dataset.fetched) == 1)
    time.sleep(0.1)  # the worker now waits for its next batch
    # Kill it: the exception fires as soon as it runs Python code again, before its next batch.
    assert ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident),
                                                      ctypes.py_object(SystemExit)) == 1
    assert bounded(lambda: next(it)).tolist() == [[0.0, 0.0]]  # hands the worker batch 1
    with pytest.raises(RuntimeError, match="worker thread minicnn-data-.* exited unexpectedly "
                                           "before fetching batch 1"):
        bounded(lambda: next(it), seconds=5)


# ---- abandoned iterators -----------------------------------------------------------------------

@pytest.mark.parametrize("how", ["del", "close"])
def test_an_iterator_dropped_during_a_slow_fetch_stops_its_workers(how):
    loader = DataLoader(Samples(40, slow_at(3, 0.5)), batch_size=1, num_workers=3)
    it = iter(loader)
    assert next(it).tolist() == [[0.0, 0.0]]
    assert len(worker_threads()) == 3
    if how == "del":
        del it
        gc.collect()
    else:
        it.close()
    assert wait_for(lambda: not worker_threads(), timeout=5)
    assert len(loader.dataset.fetched) < 40


def test_worker_threads_are_daemons():
    it = iter(DataLoader(Samples(20, slow_at(-1, 0)), num_workers=2))
    assert all(t.daemon for t in worker_threads())
    it.close()


# ---- samplers --------------------------------------------------------------------------------

@pytest.mark.parametrize("num_workers", [0, 2])
def test_sampler_and_batch_sampler_give_the_order(num_workers):
    ds = Samples(10, lambda i: i)
    by_sampler = DataLoader(ds, batch_size=3, sampler=[9, 1, 8, 2, 7], num_workers=num_workers)
    assert len(by_sampler) == 2
    assert [b.tolist() for b in by_sampler] == [[9, 1, 8], [2, 7]]
    dropped = DataLoader(ds, batch_size=3, sampler=[9, 1, 8, 2, 7], drop_last=True)
    assert len(dropped) == 1 and [b.tolist() for b in dropped] == [[9, 1, 8]]
    batches = DataLoader(ds, batch_sampler=[[3], [0, 4, 5]], num_workers=num_workers)
    assert len(batches) == 2
    assert [b.tolist() for b in batches] == [[3], [0, 4, 5]]


@pytest.mark.parametrize("kwargs", [
    dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True),
])
def test_sampler_options_are_mutually_exclusive_as_in_pytorch(kwargs):
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(Samples(4, lambda i: i), **kwargs)
