"""The DataLoader's background fetching: batches fetched by worker threads, yielded in order.

Each batch goes to one worker (round robin, as PyTorch's worker processes), through that
worker's own queue, so the iterator always knows which thread owes it a batch. While it
waits it watches that thread: a worker that died without delivering, or a batch that takes
longer than `timeout` seconds, raises RuntimeError instead of waiting forever. An exception
raised while fetching reaches the caller as itself, with notes naming the batch, the sample
index and the worker, and the worker's traceback text.

Workers are daemon threads that hold no reference to the iterator: an iterator that is
exhausted, raises, is closed, or is dropped midway (and garbage collected) cancels the
batches not started and sends every worker a stop message; each finishes the batch in hand
and exits, and a worker stuck in user code never keeps the interpreter from exiting.
"""
import collections
import itertools
import queue
import threading
import time
import traceback

# How often a waiting iterator checks that the worker owing its batch is still alive.
_LIVENESS_POLL = 0.05

_worker_ids = itertools.count()


class _Slot:
    """One batch in flight: its job, the worker fetching it, and the outcome."""

    __slots__ = ("job", "worker", "done", "cancelled", "result", "error", "error_text")

    def __init__(self, job, worker):
        self.job, self.worker = job, worker
        self.done = threading.Event()
        self.cancelled = False
        self.result = self.error = self.error_text = None

    def run(self, fetch):
        if self.cancelled:
            return
        try:
            self.result = fetch(*self.job)
        except BaseException as error:  # delivered to the caller, whatever it is
            self.error = error
            self.error_text = traceback.format_exc()
        finally:
            self.done.set()

    def fail(self, error, error_text):
        self.error, self.error_text = error, error_text
        self.done.set()


def _work(tasks, fetch, worker_id, init):
    """A worker's loop: `init(worker_id)` (if given), then run the slots of its queue until
    the stop message (None). If `init` raised, every slot gets its exception instead."""
    failure = None
    if init is not None:
        try:
            init(worker_id)
        except BaseException as error:
            failure = error, traceback.format_exc()
    for slot in iter(tasks.get, None):
        if failure is None:
            slot.run(fetch)
        else:
            slot.fail(*failure)


class PrefetchIterator:
    """Fetches `jobs` with `fetch(*job)` on `num_workers` threads, at most `depth` batches
    ahead, and yields the batches in order. `timeout` (seconds, 0 = no limit) bounds the
    wait for each batch. Drawing the next job happens in the caller's thread, so an
    exception from the sampler reaches the caller too (after the workers are stopped).
    `worker_init`, if given, runs as `worker_init(i)` first in worker i's thread."""

    def __init__(self, fetch, jobs, num_workers, depth, timeout=0, worker_init=None):
        self._fetch = fetch
        self._jobs = iter(jobs)
        self._depth = depth
        self._timeout = timeout
        self._pending = collections.deque()
        self._queues = [queue.SimpleQueue() for _ in range(num_workers)]
        self._workers = [threading.Thread(target=_work, args=(q, fetch, i, worker_init),
                                          daemon=True, name=f"minicnn-data-{next(_worker_ids)}")
                         for i, q in enumerate(self._queues)]
        self._next_worker = itertools.cycle(range(num_workers))
        for worker in self._workers:
            worker.start()
        self._guarded(self._fill)

    def _fill(self):
        while self._pending is not None and len(self._pending) < self._depth:
            job = next(self._jobs, None)
            if job is None:
                return
            index = next(self._next_worker)
            slot = _Slot(job, self._workers[index])
            self._pending.append(slot)
            self._queues[index].put(slot)

    def _guarded(self, step):
        """Run `step`; on any exception stop the workers first, then let it propagate."""
        try:
            return step()
        except BaseException:
            self.close()
            raise

    def __iter__(self):
        return self

    def __next__(self):
        if not self._pending:
            self.close()
            raise StopIteration
        slot = self._pending.popleft()
        self._guarded(lambda: self._wait(slot))
        if slot.error is not None:
            self.close()
            error = slot.error
            if hasattr(error, "add_note"):
                error.add_note(f"(raised in DataLoader worker thread {slot.worker.name} while "
                               f"fetching batch {slot.job[0]}; the worker's traceback:\n"
                               f"{slot.error_text.rstrip()})")
            raise error
        self._guarded(self._fill)
        return slot.result

    def _wait(self, slot):
        """Block until `slot` is fetched; RuntimeError when its worker died or on timeout."""
        deadline = time.monotonic() + self._timeout if self._timeout else None
        while True:
            poll = _LIVENESS_POLL
            if deadline is not None:
                poll = min(poll, max(deadline - time.monotonic(), 0))
            if slot.done.wait(poll):
                return
            if not slot.worker.is_alive() and not slot.done.is_set():
                raise RuntimeError(f"DataLoader worker thread {slot.worker.name} exited "
                                   f"unexpectedly before fetching batch {slot.job[0]}")
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds "
                                   f"waiting for batch {slot.job[0]} (worker thread "
                                   f"{slot.worker.name})")

    def close(self):
        """Cancel the batches not started and stop the workers (each exits after the batch
        in hand); idempotent."""
        pending, self._pending = getattr(self, "_pending", None), None
        if pending is None:
            return
        for slot in pending:
            slot.cancelled = True
        self._jobs = iter(())
        for tasks in self._queues:
            tasks.put(None)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass
