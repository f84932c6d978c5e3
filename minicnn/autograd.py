"""Reverse-mode automatic differentiation: Function, the node that every op records.

A differentiable op is a subclass of `Function` with two static methods on raw
arrays (NumPy or CuPy):

    forward(ctx, *arrays, **params) -> array or tuple of arrays
    backward(ctx, *grad_outputs)    -> one gradient (or None) per array input

`Function.apply(*inputs, **params)` runs forward on the inputs' arrays and, when
grad mode is on and an input requires grad, records the node in the graph. The
instance of the Function is the `ctx`: forward stores on it what backward needs
(`ctx.save_for_backward(...)` or plain attributes) and the backward pass drops
all of it once the node has run, unless `retain_graph=True`. The backward pass
itself, which sits below Tensor, is minicnn/backprop.py.

The inputs of one op live on one device: `apply` refuses tensors on two devices (naming
both, as PyTorch does), and runs forward with their device current, as the backward pass
runs backward, so that an op on a tensor on cuda:1 computes there whichever device the
caller made current. The node keeps that device's context as `device_context`.

An op run with the parameter `inplace=True` (F.relu(x, inplace=True) ...) writes its
result into its first input's array and returns that tensor, with PyTorch's rules:
the input's version is bumped and, when the graph records, its grad_fn becomes the
new node. Every node records the versions of the inputs and outputs whose arrays it
saves, and backward refuses to run it once one of them was modified in place.

Gradients are first order: backward works on arrays, so the gradient itself is
not differentiable (no double backward).

`mc.autograd.detect_anomaly()` / `set_detect_anomaly(True)` (minicnn/anomaly_mode.py)
make every recorded node keep where it was created and the backward pass reject the
first gradient that holds NaN, naming the Function and the user's line.
"""
import numpy as np

from . import anomaly_mode, grad_mode, trace_mode
from .anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled,  # noqa: F401
                           is_anomaly_enabled, set_detect_anomaly)
from .backend import ON_HOST, check_same_device, on_device_of, xp_of
from .backprop import SECOND_BACKWARD, AccumulateGrad, as_ndarray
from .tensor import Tensor
from .version_counter import (bump_version, check_saved_versions, record_saved_versions,
                              share_if_aliased)


class Function:
    """Base class of every differentiable op; an instance is one node of the graph."""

    __slots__ = ("needs_input_grad", "next_edges", "saved", "output_hooks", "retained_outputs",
                 "non_differentiable", "n_outputs", "output_meta", "output_xp", "released",
                 "saved_versions", "device_context", "__dict__", "__weakref__")

    # True where backward returns input gradients that nothing else references: arrays it
    # allocated, one per input. A leaf's first gradient is then kept as it is, not copied
    # (a copy as large as the input, and a pass over it, on every backward).
    fresh_input_grads = False

    def __init__(self):
        self.saved = ()
        self.saved_versions = ()
        self.output_hooks = None
        self.retained_outputs = None
        self.non_differentiable = ()
        self.released = False
        self.device_context = ON_HOST

    @staticmethod
    def forward(ctx, *arrays, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    def save_for_backward(self, *arrays):
        self.saved = arrays

    @property
    def saved_arrays(self):
        if self.released:
            raise RuntimeError(SECOND_BACKWARD.format(type(self).__name__))
        return self.saved

    def mark_non_differentiable(self, *arrays):
        self.non_differentiable = tuple(id(a) for a in arrays)

    @property
    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        """PyTorch's grad_fn.next_functions: per input, (the node its gradient goes to, which
        output of that node it is); a leaf's node is its AccumulateGrad, and an input that
        takes no gradient gives (None, 0)."""
        return tuple((None, 0) if edge is None else edge for edge in self.next_edges)

    def __repr__(self):
        return f"<{self.name}Backward object at {id(self):#x}>"

    def release(self):
        """Drop everything forward saved (arrays, attributes)."""
        self.saved = ()
        self.saved_versions = ()
        self.__dict__.clear()
        self.released = True

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors (None allowed for an absent optional input, e.g. bias);
        a recorder installed by trace_mode.recording is handed the op once it has run."""
        result = cls._run(*inputs, **params)
        recorder = trace_mode.state.recorder
        if recorder is not None:
            recorder(cls, inputs, params, result)
        return result

    @classmethod
    def _run(cls, *inputs, **params):
        arrays = []
        first = None
        mixed = False
        record = False
        for t in inputs:
            if t is None:
                arrays.append(None)
                continue
            data = t._data
            if first is None:
                first = data
            elif type(data) is not type(first):
                mixed = True
            arrays.append(data)
            record = record or t.requires_grad
        device = ON_HOST
        if mixed or type(first) is not np.ndarray:
            check_same_device(cls.__name__.lower(), arrays)
            device = on_device_of(first)
        record = record and grad_mode.state.enabled
        inplace = params.get("inplace", False)
        if inplace:
            _check_inplace_target(cls, inputs[0], record)
        ctx = cls()
        if record:
            ctx.needs_input_grad = tuple(t is not None and t.requires_grad for t in inputs)
        else:
            ctx.needs_input_grad = (False,) * len(inputs)
        if device is ON_HOST:
            out = cls.forward(ctx, *arrays, **params)
        else:
            ctx.device_context = device
            with device:
                out = cls.forward(ctx, *arrays, **params)
        if inplace:
            return _finish_inplace(ctx, inputs, out, record)
        if type(out) is tuple:
            out = tuple(as_ndarray(o) for o in out)
        else:
            out = as_ndarray(out)
        if not record:
            if type(out) is tuple:
                outs = tuple(Tensor._make(o) for o in out)
            else:
                outs = (Tensor._make(out),)
            share_if_aliased(outs, inputs, False)
            return outs if type(out) is tuple else outs[0]
        ctx.next_edges = tuple(_edge(t) for t in inputs)
        if anomaly_mode._enabled:
            ctx.creation_stack = anomaly_mode.creation_stack()
        if type(out) is tuple:
            ctx.n_outputs = len(out)
            ctx.output_meta = tuple((o.shape, o.dtype) for o in out)
            ctx.output_xp = xp_of(out[0])
            nd = ctx.non_differentiable
            outs = tuple(Tensor._make(o) if id(o) in nd else Tensor._make(o, ctx, i)
                         for i, o in enumerate(out))
        elif out.dtype.kind != "f":
            outs = (Tensor._make(out),)
        else:
            ctx.n_outputs = 1
            ctx.output_meta = ((out.shape, out.dtype),)
            outs = (Tensor._make(out, ctx, 0),)
        share_if_aliased(outs, inputs, True)
        if ctx.saved:
            record_saved_versions(ctx, inputs, outs)
        return outs if type(out) is tuple else outs[0]


def _check_inplace_target(cls, target, record):
    """PyTorch's rules for an op that writes into `target`: never a leaf that requires grad
    while grad mode is on; never, in the graph, memory that a recorded view shares (the
    view and its base would disagree on how their values were computed)."""
    op = cls.__name__.lower() + "_"
    if target.requires_grad and target.grad_fn is None and grad_mode.state.enabled:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                           f"in-place operation.")
    counter = target._version_counter
    if record and counter is not None and counter.graph_view:
        raise RuntimeError(f"{op}: the tensor of shape {tuple(target.shape)} shares its memory "
                           f"with a view recorded in the graph; an in-place operation on it is "
                           f"not supported, use the out-of-place form (inplace=False)")


def _finish_inplace(ctx, inputs, out, record):
    """After forward wrote into the first input's array (`out`): bump that tensor's version
    and, in the graph, make it the node's output (its grad_fn becomes the node)."""
    target = inputs[0]
    if out is not target._data:
        raise RuntimeError(f"{ctx.name}.forward(inplace=True) returned a new array instead "
                           f"of writing into its input")
    bump_version(target)
    if record:
        ctx.next_edges = tuple(_edge(t) for t in inputs)
        ctx.n_outputs = 1
        ctx.output_meta = ((out.shape, out.dtype),)
        target.grad_fn, target.output_index, target.requires_grad = ctx, 0, True
        if ctx.saved:
            record_saved_versions(ctx, (None,) + tuple(inputs[1:]), (target,))
    return target


def _edge(t):
    if t is None or not t.requires_grad:
        return None
    if t.grad_fn is not None:
        return (t.grad_fn, t.output_index)
    if t._accumulator is None:
        t._accumulator = AccumulateGrad(t)
    return (t._accumulator, 0)
