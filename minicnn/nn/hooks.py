"""The hook machinery behind Module's register_*_hook methods, as torch.utils.hooks.

Forward hooks are plain callables kept in HookDicts; `register_hook` adds one and returns
the RemovableHandle that takes it out again. A full backward hook wraps a module call in
BackwardHook, which sends the tensors entering and leaving the module through identity
nodes (BackwardHookFunction) whose backward passes hand the hooks the module's
grad_input and grad_output.
"""
import weakref
from collections import OrderedDict

from .. import backend, grad_mode
from ..autograd import Function
from ..tensor import Tensor

__all__ = ["BackwardHook", "HookDict", "RemovableHandle", "register_hook"]


class RemovableHandle:
    """Returned by the register_*_hook methods; `handle.remove()` unregisters the hook."""

    _next_id = 0

    def __init__(self, *hooks_dicts):
        self.hooks_dicts_refs = tuple(weakref.ref(d) for d in hooks_dicts)
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        for ref in self.hooks_dicts_refs:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_hook(hook, hooks, prepend, kwargs_flags=None, with_kwargs=False):
    """Add `hook` to the dict `hooks` (at the front when `prepend`; marked in
    `kwargs_flags` when `with_kwargs`); the handle removes it from both."""
    handle = RemovableHandle(hooks, *(() if kwargs_flags is None else (kwargs_flags,)))
    hooks[handle.id] = hook
    if with_kwargs:
        kwargs_flags[handle.id] = True
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class HookDict(OrderedDict):
    """An OrderedDict that a weakref can point to (plain dicts cannot be weakly referenced)."""


class BackwardHookFunction(Function):
    """Identity on the tensors that enter (or leave) a module; its backward hands their
    gradients to `callback`, which may replace them. PyTorch's BackwardHookFunction."""

    @staticmethod
    def forward(ctx, *arrays, callback):
        ctx.callback = callback
        return arrays if len(arrays) > 1 else arrays[0]

    @staticmethod
    def backward(ctx, *grads):
        grads = ctx.callback(grads)
        return tuple(grads) if len(grads) > 1 else grads[0]


def _wrap_grads(grads):
    return tuple(None if g is None else Tensor._make(g) for g in grads)


def _unwrap_grad(g):
    if g is None:
        return None
    return g._data if isinstance(g, Tensor) else g


class BackwardHook:
    """One module call's state for register_full_backward_hook: identity nodes around the
    inputs and the outputs; the output node records grad_output, the input node calls the
    hooks with (module, grad_input, grad_output)."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_index = None
        self.n_outputs = 0
        self.output_index = None

    @staticmethod
    def _pack(index, values, n):
        out = [None] * n
        for i, v in zip(index, values):
            out[i] = v
        return tuple(out)

    def _apply(self, args, callback):
        """Send the tensors of `args` that require grad through one identity node."""
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not index or not grad_mode.is_grad_enabled():
            return args, None
        new = BackwardHookFunction.apply(*(args[i] for i in index), callback=callback)
        if not isinstance(new, tuple):
            new = (new,)
        args = list(args)
        for i, t in zip(index, new):
            args[i] = t
        return tuple(args), index

    def setup_input_hook(self, args):
        # tensors that do not require grad get a zero gradient, as PyTorch reports them
        # (its identity node materializes their undefined gradients as zeros)
        constant = {i: (a.shape, a.dtype, backend.xp_of(a._data)) for i, a in enumerate(args)
                    if isinstance(a, Tensor) and not a.requires_grad}

        def on_input_grads(grads):
            if self.grad_outputs is None:
                return grads
            grad_input = list(self._pack(self.input_index, _wrap_grads(grads), self.n_inputs))
            for i, (shape, dtype, xp) in constant.items():
                grad_input[i] = Tensor._make(xp.zeros(shape, dtype=dtype))
            grad_input = tuple(grad_input)
            for hook in self.user_hooks:
                result = hook(self.module, grad_input, self.grad_outputs)
                if result is None:
                    continue
                if not isinstance(result, (tuple, list)) or len(result) != len(grad_input):
                    raise RuntimeError(f"backward hook of {type(self.module).__name__} returned "
                                       f"an invalid number of grad_input, got "
                                       f"{len(result) if isinstance(result, (tuple, list)) else 1}"
                                       f", but expected {len(grad_input)}")
                grad_input = tuple(result)
            self.grad_outputs = None
            return tuple(_unwrap_grad(grad_input[i]) for i in self.input_index)

        self.n_inputs = len(args)
        args, self.input_index = self._apply(args, on_input_grads)
        return args

    def setup_output_hook(self, result):
        def on_output_grads(grads):
            self.grad_outputs = self._pack(self.output_index, _wrap_grads(grads), self.n_outputs)
            for hook in self.user_pre_hooks:
                new = hook(self.module, self.grad_outputs)
                if new is not None:
                    if not isinstance(new, (tuple, list)) or len(new) != len(self.grad_outputs):
                        raise RuntimeError(f"backward pre-hook of {type(self.module).__name__} "
                                           f"must return None or a tuple of "
                                           f"{len(self.grad_outputs)} gradients")
                    self.grad_outputs = tuple(new)
            out_grads = tuple(_unwrap_grad(self.grad_outputs[i]) for i in self.output_index)
            if self.input_index is None:
                grad_input = (None,) * self.n_inputs
                for hook in self.user_hooks:
                    res = hook(self.module, grad_input, self.grad_outputs)
                    if res is not None and not all(r is None for r in res):
                        raise RuntimeError("Backward hook for Modules where no input requires "
                                           "gradient should always return None or None for "
                                           "all gradients.")
                self.grad_outputs = None
            return out_grads

        is_tuple = isinstance(result, tuple)
        outputs = result if is_tuple else (result,)
        self.n_outputs = len(outputs)
        outputs, self.output_index = self._apply(outputs, on_output_grads)
        return outputs if is_tuple else outputs[0]
