"""Whether operations record the graph: `no_grad`, `enable_grad`, `set_grad_enabled`,
`inference_mode`, `is_grad_enabled`, `is_inference_mode_enabled`.

As in PyTorch, the mode belongs to the thread: a `no_grad` block in one thread does not stop
another thread from recording, and every new thread starts with recording on and outside
inference mode, whatever the thread that started it is doing. Function.apply reads
`state.enabled`, one attribute of a threading.local, for every op.

`no_grad`, `enable_grad` and `inference_mode` are context managers and decorators (with or
without parentheses); every block restores, on the way out, exceptions included, the mode
its own entry found, so a decorated function entered recursively or from several threads
at once leaves each caller's mode as it was.
"""
import functools
import threading


class _ThreadMode(threading.local):
    """This thread's switches; a new thread sees these class defaults."""

    enabled = True
    inference = False


state = _ThreadMode()


def is_grad_enabled():
    """Whether operations in this thread record the graph."""
    return state.enabled


def is_inference_mode_enabled():
    """Whether this thread is inside an `inference_mode()` block."""
    return state.inference


class _ModeBlock:
    """A block that sets this thread's grad mode to `enabled` on entry and restores, on
    exit, the mode its entry found; called on a function, it returns the function run
    inside a fresh copy of the block."""

    enabled = True

    def __new__(cls, func=None):
        block = super().__new__(cls)
        if func is None:
            return block
        if not callable(func):
            raise TypeError(f"{cls.__name__}: takes no argument other than a function to "
                            f"decorate, got {func!r}")
        return block(func)                               # @no_grad without parentheses

    def _copy(self):
        return type(self)()

    def __enter__(self):
        self._saved = state.enabled
        state.enabled = self.enabled
        return self

    def __exit__(self, *exc):
        state.enabled = self._saved
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(f"{type(self).__name__}: expected a function to decorate, "
                            f"got {func!r}")

        @functools.wraps(func)
        def run_in_mode(*args, **kwargs):
            with self._copy():
                return func(*args, **kwargs)

        return run_in_mode


class no_grad(_ModeBlock):
    """Context manager and decorator: operations inside record no graph (in this thread)."""

    enabled = False


class enable_grad(_ModeBlock):
    """Context manager and decorator: turn recording back on inside a `no_grad` block."""

    enabled = True


class inference_mode(_ModeBlock):
    """Context manager and decorator like torch.inference_mode(mode=True): inside, nothing
    is recorded and is_inference_mode_enabled() is true; `inference_mode(False)` turns
    inference mode off and recording on, as in PyTorch. minicnn has no separate kind of
    inference tensor: what is computed inside is an ordinary tensor without a graph."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool) or not callable(mode):
            return object.__new__(cls)
        return cls()(mode)                               # @inference_mode without parentheses

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self.enabled = not self.mode

    def _copy(self):
        return inference_mode(self.mode)

    def __enter__(self):
        self._saved = state.enabled, state.inference
        state.enabled, state.inference = self.enabled, self.mode
        return self

    def __exit__(self, *exc):
        state.enabled, state.inference = self._saved
        return False


class set_grad_enabled(_ModeBlock):
    """Turn recording on or off in this thread, at once: `set_grad_enabled(False)` as a
    call, or as a context manager (restores the previous mode on exit) or a decorator
    (the mode applies inside the decorated function only), as in PyTorch."""

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got "
                            f"{type(mode).__name__} {mode!r}")
        self.enabled = mode
        self._previous = state.enabled
        state.enabled = mode

    def _copy(self):
        return set_grad_enabled(self.enabled)

    def __enter__(self):
        self._saved = self._previous
        return self

    def __call__(self, func):
        state.enabled = self._previous                   # decorating changes no mode
        return super().__call__(func)
