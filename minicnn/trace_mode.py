"""Recording the ops of a forward pass, for exporters (minicnn.onnx).

While a recorder is installed in a thread, every Function applied in that thread is handed
to it once it has run: `recorder(cls, inputs, params, result)`, with the Function class,
the input Tensors (None for an absent optional input), the keyword parameters and what
`apply` returns (a Tensor or a tuple of Tensors). Nothing else changes: the op runs and
records the graph as it would without a recorder. Like grad mode, the recorder belongs to
the thread, so ops that other threads run meanwhile (data loading) are not recorded.
Function.apply reads `state.recorder`, one attribute of a threading.local, for every op.

A write into a tensor's array outside a Function (Tensor.fill_, copy_, `x[i] = v` ...) is
reported too, through `check_write`, to a recorder that has a `write_in_place(tensor, op)`
method: such a recorder can refuse a write that its record would miss.
"""
import contextlib
import threading


class _ThreadTrace(threading.local):
    """This thread's recorder; a new thread starts without one."""

    recorder = None


state = _ThreadTrace()


@contextlib.contextmanager
def recording(recorder):
    """Within the block, hand every Function applied in this thread to `recorder`; the
    recorder the block's entry found is put back on the way out."""
    previous, state.recorder = state.recorder, recorder
    try:
        yield
    finally:
        state.recorder = previous


def check_write(tensor, op):
    """Report `op`, about to write into `tensor`'s array outside a Function, to this
    thread's recorder where it has write_in_place (which raises to refuse the write)."""
    check = getattr(state.recorder, "write_in_place", None)
    if check is not None:
        check(tensor, op)
