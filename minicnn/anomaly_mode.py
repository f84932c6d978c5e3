"""Anomaly detection for the backward pass: `detect_anomaly`, `set_detect_anomaly`,
`is_anomaly_enabled` (PyTorch's `torch.autograd` names and behaviour).

While it is on, every op recorded in the graph keeps the stack of the code that created
it, and the backward pass checks every gradient a Function returns: the first one that
holds NaN raises RuntimeError naming the Function, the output and the line of user code
(the innermost frame outside minicnn) that created the op. An exception raised inside a
Function's backward gets the same creation site as a note. The switch is process-wide,
as in PyTorch; while it is off, recording an op costs one boolean test.
"""
import contextlib
import os
import sys
import traceback

from .backend import xp_of

_enabled = False
_check_nan = True

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def is_anomaly_enabled():
    return _enabled


def is_anomaly_check_nan_enabled():
    return _check_nan


def _set(mode, check_nan):
    global _enabled, _check_nan
    _enabled, _check_nan = bool(mode), bool(check_nan)


class detect_anomaly(contextlib.ContextDecorator):
    """Context manager and decorator: anomaly detection on inside, the previous setting
    back on exit. `check_nan=False` keeps the creation sites of ops (for errors raised in
    backward) without checking gradients for NaN."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._previous = (_enabled, _check_nan)
        _set(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        _set(*self._previous)
        return False


class set_detect_anomaly:
    """Turn anomaly detection on or off now; used as a context manager, the previous
    setting comes back on exit."""

    def __init__(self, mode, check_nan=True):
        self._previous = (_enabled, _check_nan)
        _set(mode, check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(*self._previous)
        return False


def creation_stack():
    """The stack of the caller of `Function.apply`, outermost frame first, without reading
    source lines (they are read only when an error is reported)."""
    frames = traceback.walk_stack(sys._getframe(2))
    return traceback.StackSummary.extract(frames, lookup_lines=False)[::-1]


def _user_frame_index(stack):
    """Index of the innermost frame outside the minicnn package (the last frame if none)."""
    for i in range(len(stack) - 1, -1, -1):
        if not os.path.abspath(stack[i].filename).startswith(_PACKAGE_DIR):
            return i
    return len(stack) - 1


def describe_creation(node):
    """Where `node`'s op was created: the user's line, then the forward call from there."""
    stack = getattr(node, "creation_stack", None)
    if not stack:
        return "(its creation site was not recorded: anomaly detection was off in forward)"
    start = _user_frame_index(stack)
    site = stack[start]
    code = f"\n    {site.line}" if site.line else ""
    trace = "".join(traceback.format_list(stack[start:])).rstrip()
    return (f"The op was created at {site.filename}:{site.lineno}, in {site.name}:{code}\n"
            f"Traceback of the forward call that created it (most recent call last):\n{trace}")


def check_gradients(node, input_grads):
    """Raise RuntimeError if a gradient `node`'s backward returned holds NaN."""
    for i, grad in enumerate(input_grads):
        if grad is None or getattr(grad, "dtype", None) is None or grad.dtype.kind not in "fc":
            continue
        if bool(xp_of(grad).isnan(grad).any()):
            raise RuntimeError(f"Function '{node.name}Backward' returned nan values in its "
                               f"{i}th output. {describe_creation(node)}")


def add_creation_note(error, node):
    """Attach to an exception raised in `node`'s backward where its op was created
    (exception notes exist from Python 3.11 on)."""
    if hasattr(error, "add_note"):
        error.add_note(f"Error detected in {node.name}Backward. {describe_creation(node)}")
