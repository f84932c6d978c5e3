"""Activation checkpointing: trade compute for memory by recomputing a segment in backward.

`checkpoint(function, *args)` runs `function(*args)` under no_grad, so none of the
segment's intermediate arrays are saved; only the inputs are kept. In backward the
segment runs again with grad on (on detached copies of the inputs, with the CPU random
state of the first run, so dropout draws the same mask) and the output gradients are
propagated through it: the inputs receive their gradients through the checkpoint node and
every parameter used inside receives its own directly.
"""
import contextlib

import numpy as np

from . import backend, grad_mode, random
from .autograd import Function
from .backend import xp_of
from .creation import zeros
from .tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


class _Join(Function):
    """A scalar whose backward hands fixed gradients to each of its inputs: one backward
    pass through several outputs at once."""

    @staticmethod
    def forward(ctx, *arrays, grads):
        ctx.grads = grads
        return xp_of(arrays[0]).zeros((), dtype=arrays[0].dtype)

    @staticmethod
    def backward(ctx, g):
        return ctx.grads


def _rebuild(tensors, template):
    """The positional arguments with each Tensor slot filled from `tensors`."""
    it = iter(tensors)
    return [next(it) if slot is _TENSOR else slot for slot in template]


_TENSOR = object()


def _cuda_seeds(arrays):
    """A fresh seed, drawn from each CUDA device's generator, for the devices of `arrays`."""
    seeds = {}
    for index in sorted({a.device.id for a in arrays if backend.is_cupy_array(a)}):
        draw = random.generator(backend.Device("cuda", index)).random(1, dtype=np.float64)
        seeds[index] = int(backend.to_device(draw, "cpu")[0] * 2 ** 53)
    return seeds


@contextlib.contextmanager
def _forked_cuda_rng(seeds):
    """Run with each listed device's generator replaced by one made from its seed, then put
    the original generators back: the forward and the recomputation draw the same numbers
    on the GPU (CuPy's generator state cannot be saved and restored like NumPy's)."""
    if not seeds:
        yield
        return
    cupy = backend.cupy_module()
    saved = {index: random._cuda_generators.get(index) for index in seeds}
    for index, seed in seeds.items():
        with cupy.cuda.Device(index):
            random._cuda_generators[index] = cupy.random.default_rng(seed)
    try:
        yield
    finally:
        for index, generator in saved.items():
            if generator is None:
                random._cuda_generators.pop(index, None)
            else:
                random._cuda_generators[index] = generator


class CheckpointFunction(Function):
    @staticmethod
    def forward(ctx, *arrays, function, template, kwargs, preserve_rng_state, n_dummy):
        arrays = arrays[n_dummy:]
        ctx.function = function
        ctx.template = template
        ctx.kwargs = kwargs
        ctx.n_dummy = n_dummy
        ctx.rng_state = random.get_rng_state() if preserve_rng_state else None
        ctx.cuda_seeds = _cuda_seeds(arrays) if preserve_rng_state else {}
        with grad_mode.no_grad(), _forked_cuda_rng(ctx.cuda_seeds):
            out = function(*_rebuild([Tensor._make(a) for a in arrays], template), **kwargs)
        ctx.tuple_output = isinstance(out, tuple)
        outs = out if ctx.tuple_output else (out,)
        for o in outs:
            if not isinstance(o, Tensor):
                raise TypeError(f"checkpoint: the function must return a Tensor or a tuple of "
                                f"Tensors, got {type(o).__name__}")
        ctx.save_for_backward(*arrays)
        result = tuple(o._data for o in outs)
        ctx.mark_non_differentiable(*(r for r in result if r.dtype.kind != "f"))
        ctx.n_outputs_expected = len(result)
        return result if len(result) > 1 else result[0]

    @staticmethod
    def backward(ctx, *grads):
        """Recompute the segment with grad on, then backpropagate `grads` through it."""
        arrays = ctx.saved_arrays
        needs = ctx.needs_input_grad[ctx.n_dummy:]
        inputs = []
        for a, need in zip(arrays, needs):
            t = Tensor._make(a)
            if need:
                t.requires_grad = True
            inputs.append(t)
        outer_state = None
        if ctx.rng_state is not None:
            outer_state = random.get_rng_state()
            random.set_rng_state(ctx.rng_state)
        try:
            with grad_mode.enable_grad(), _forked_cuda_rng(ctx.cuda_seeds):
                out = ctx.function(*_rebuild(inputs, ctx.template), **ctx.kwargs)
        finally:
            if outer_state is not None:
                random.set_rng_state(outer_state)
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if pairs:
            with grad_mode.enable_grad():
                root = _Join.apply(*(o for o, _ in pairs), grads=tuple(g for _, g in pairs))
            root.backward()
        input_grads = tuple(t.grad._data if t.requires_grad and t.grad is not None else None
                            for t in inputs)
        return (None,) * ctx.n_dummy + input_grads


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True, **kwargs):
    """`function(*args, **kwargs)` without keeping the segment's activations: they are
    recomputed in backward. Tensor positional arguments are the segment's inputs; kwargs
    are passed through unchanged. Returns what `function` returns (a Tensor or a tuple of
    Tensors).

    Unlike PyTorch's reentrant checkpoint, parameters used inside get their gradients even
    when no input requires grad (the output then requires grad whenever grad mode is on).
    With preserve_rng_state (default) the CPU generator's state is restored for the
    recomputation, so dropout inside draws the same mask and the CPU state after the call
    is that of a single run. On the GPU (inputs on CUDA) the segment draws from a
    generator forked from a seed taken from the device's generator, for the forward and
    again for the recomputation: the masks agree with each other, though not with those
    of an un-checkpointed run.
    """
    tensors = [a for a in args if isinstance(a, Tensor)]
    template = [_TENSOR if isinstance(a, Tensor) else a for a in args]
    n_dummy = 0
    if grad_mode.is_grad_enabled() and not any(t.requires_grad for t in tensors):
        # nothing would make apply() record the node; a dummy input that requires grad
        # does, so parameters inside the segment still get gradients
        device = tensors[0].device if tensors else None
        tensors = [zeros((), dtype="float32", device=device, requires_grad=True)] + tensors
        n_dummy = 1
    return CheckpointFunction.apply(*tensors, function=function, template=template,
                                    kwargs=kwargs, preserve_rng_state=preserve_rng_state,
                                    n_dummy=n_dummy)


def checkpoint_sequential(functions, segments, input, use_reentrant=None,
                          preserve_rng_state=True):
    """Run a Sequential (or a list of modules) in `segments` checkpointed chunks; the last
    chunk runs normally, as PyTorch does."""
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    functions = list(functions)

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    segment_size = max(len(functions) // segments, 1)
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run(start, end), input, preserve_rng_state=preserve_rng_state)
    return run(end + 1, len(functions) - 1)(input)
