"""Whether operations record the graph: `no_grad`, `enable_grad`, `is_grad_enabled`.

The switch is process-wide (not per thread): minicnn's background threads (data
prefetching) work on arrays, never on the graph.
"""
import contextlib

_enabled = True


def is_grad_enabled():
    return _enabled


def set_grad_enabled(mode):
    global _enabled
    _enabled = bool(mode)


class _GradMode(contextlib.ContextDecorator):
    mode = True

    def __enter__(self):
        self._previous = _enabled
        set_grad_enabled(self.mode)
        return self

    def __exit__(self, *exc):
        set_grad_enabled(self._previous)
        return False


class no_grad(_GradMode):
    """Context manager and decorator: operations inside record no graph."""

    mode = False


class enable_grad(_GradMode):
    """Context manager and decorator: turn recording back on inside a `no_grad` block."""

    mode = True
