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
    """A block that sets this thread's mode on entry and restores it on exit; called on a
    function, it returns the function run inside a fresh copy of the block."""

    bare_decorator = True                                # @no_grad without parentheses

    def __new__(cls, *args):
        block = super().__new__(cls)
        if cls.bare_decorator and len(args) == 1 and callable(args[0]):
            block.__init__()
            return block(args[0])
        return block

    def __init__(self, *args):
        if args:
            raise TypeError(f"{type(self).__name__}: takes no argument other than a function "
                            f"to decorate, got {args[0]!r}")
        self._saved = []

    def _switch(self):
        """Set this thread's mode to what the block asks for."""
        raise NotImplementedError

    def _copy(self):
        return type(self)()

    def __enter__(self):
        self._saved.append((state.enabled, state.inference))
        self._switch()
        return self

    def __exit__(self, *exc):
        state.enabled, state.inference = self._saved.pop()
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

    def _switch(self):
        state.enabled = False


class enable_grad(_ModeBlock):
    """Context manager and decorator: turn recording back on inside a `no_grad` block."""

    def _switch(self):
        state.enabled = True


class inference_mode(_ModeBlock):
    """Context manager and decorator like torch.inference_mode(mode=True): inside, nothing
    is recorded and is_inference_mode_enabled() is true; `inference_mode(False)` turns
    inference mode off and recording on, as in PyTorch. minicnn has no separate kind of
    inference tensor: what is computed inside is an ordinary tensor without a graph."""

    def __init__(self, mode=True):
        super().__init__()
        self.mode = bool(mode)

    def _switch(self):
        state.enabled, state.inference = not self.mode, self.mode

    def _copy(self):
        return inference_mode(self.mode)


class set_grad_enabled(_ModeBlock):
    """Turn recording on or off in this thread, at once: `set_grad_enabled(False)` as a
    call, or as a context manager (restores the previous mode on exit) or a decorator
    (the mode applies inside the decorated function only), as in PyTorch."""

    bare_decorator = False

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got "
                            f"{type(mode).__name__} {mode!r}")
        super().__init__()
        self.mode = mode
        self._previous = state.enabled
        state.enabled = mode

    def _copy(self):
        return set_grad_enabled(self.mode)

    def __enter__(self):
        self._saved.append((self._previous, state.inference))
        return self

    def __call__(self, func):
        state.enabled = self._previous                   # decorating changes no mode
        return super().__call__(func)
