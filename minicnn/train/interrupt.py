"""Ctrl-C during `fit`: the first press stops training at the end of the batch in progress,
so that the checkpoint then written holds whole optimizer steps; a second press interrupts
at once, as Ctrl-C does elsewhere."""
import contextlib
import os
import signal
import threading

NOTICE = b"\nstopping after this batch to write a checkpoint (Ctrl-C again to stop now)\n"


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped `fit` between two batches. `checkpoint` names the checkpoint that holds
    the run's state then, with where in the run it was written (None when there is none);
    `epoch` (0-based) and `step` (batches done in it) say where the run stopped."""

    def __init__(self, message, checkpoint=None, epoch=None, step=None):
        super().__init__(message)
        self.checkpoint, self.epoch, self.step = checkpoint, epoch, step


class _Request:
    requested = False


@contextlib.contextmanager
def deferred_interrupt():
    """Within the block, the first SIGINT only sets `.requested` on the object yielded. Left
    alone where SIGINT is not Python's default handler (someone else handles it) or off the
    main thread (where no handler can be set)."""
    request = _Request()
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield request
        return

    def handler(signum, frame):
        if request.requested:
            raise KeyboardInterrupt
        request.requested = True
        os.write(2, NOTICE)   # not print: the handler may run inside a print

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield request
    finally:
        signal.signal(signal.SIGINT, previous)
