"""Work: a collective in flight, as `async_op=True` returns it and as buckets of gradients
wait on it; waiting is bounded by the process group's timeout."""
import time

POLL_FIRST = 1e-5            # the first pause between two polls, in seconds
POLL_LONGEST = 1e-3          # the pause polls grow to


class CollectiveTimeout(RuntimeError):
    """A collective that did not finish within the process group's timeout."""


def wait_until(done, timeout, what):
    """Poll `done()` until it is true; raise CollectiveTimeout naming `what` after `timeout`
    seconds. Polling (rather than a blocking wait) is what bounds the wait, and each poll
    also moves MPI's non-blocking collectives along."""
    deadline = time.monotonic() + timeout
    pause = POLL_FIRST
    while not done():
        if time.monotonic() > deadline:
            raise CollectiveTimeout(
                f"{what}: not every rank took part within the timeout of {timeout:g} s (a "
                f"rank called other collectives, fewer of them, or stopped); the process "
                f"group cannot be used any more")
        time.sleep(pause)
        pause = min(2 * pause, POLL_LONGEST)


class Work:
    """One collective in flight: `is_completed()` polls it, `wait()` blocks (within the
    timeout) and then runs its finishing step (copying the result into the tensor,
    dividing for AVG) exactly once."""

    def __init__(self, test, finish, timeout, what):
        self._test = test
        self._finish = finish
        self._timeout = timeout
        self._what = what
        self._finished = False

    def is_completed(self):
        return self._finished or bool(self._test())

    def wait(self):
        if not self._finished:
            wait_until(self._test, self._timeout, self._what)
            self._finished = True
            if self._finish is not None:
                self._finish()
        return True


def completed():
    """A Work that is already done (a collective of a group of one)."""
    return Work(lambda: True, None, 0, "")
