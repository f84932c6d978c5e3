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

Gradients are first order: backward works on arrays, so the gradient itself is
not differentiable (no double backward).

`mc.autograd.detect_anomaly()` / `set_detect_anomaly(True)` (minicnn/anomaly_mode.py)
make every recorded node keep where it was created and the backward pass reject the
first gradient that holds NaN, naming the Function and the user's line.
"""
from . import anomaly_mode, grad_mode
from .anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled,  # noqa: F401
                           is_anomaly_enabled, set_detect_anomaly)
from .backend import device_of, xp_of
from .backprop import SECOND_BACKWARD, AccumulateGrad, as_ndarray
from .tensor import Tensor


class Function:
    """Base class of every differentiable op; an instance is one node of the graph."""

    __slots__ = ("needs_input_grad", "next_edges", "saved", "output_hooks", "retained_outputs",
                 "non_differentiable", "n_outputs", "output_meta", "output_xp", "released",
                 "__dict__", "__weakref__")

    # True where backward returns input gradients that nothing else references: arrays it
    # allocated, one per input. A leaf's first gradient is then kept as it is, not copied
    # (a copy as large as the input, and a pass over it, on every backward).
    fresh_input_grads = False

    def __init__(self):
        self.saved = ()
        self.output_hooks = None
        self.retained_outputs = None
        self.non_differentiable = ()
        self.released = False

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

    def release(self):
        """Drop everything forward saved (arrays, attributes)."""
        self.saved = ()
        self.__dict__.clear()
        self.released = True

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors (None allowed for an absent optional input, e.g. bias)."""
        arrays = []
        first = None
        record = False
        for t in inputs:
            if t is None:
                arrays.append(None)
                continue
            data = t.data
            if first is None:
                first = t
            elif type(data) is not type(first.data):
                _raise_device_mismatch(cls, inputs)
            arrays.append(data)
            record = record or t.requires_grad
        record = record and grad_mode._enabled
        ctx = cls()
        if record:
            ctx.needs_input_grad = tuple(t is not None and t.requires_grad for t in inputs)
        else:
            ctx.needs_input_grad = (False,) * len(inputs)
        out = cls.forward(ctx, *arrays, **params)
        if type(out) is tuple:
            out = tuple(as_ndarray(o) for o in out)
        else:
            out = as_ndarray(out)
        if not record:
            if type(out) is tuple:
                return tuple(Tensor._make(o) for o in out)
            return Tensor._make(out)
        ctx.next_edges = tuple(_edge(t) for t in inputs)
        if anomaly_mode._enabled:
            ctx.creation_stack = anomaly_mode.creation_stack()
        if type(out) is tuple:
            ctx.n_outputs = len(out)
            ctx.output_meta = tuple((o.shape, o.dtype) for o in out)
            ctx.output_xp = xp_of(out[0])
            nd = ctx.non_differentiable
            return tuple(Tensor._make(o) if id(o) in nd else Tensor._make(o, ctx, i)
                         for i, o in enumerate(out))
        if out.dtype.kind != "f":
            return Tensor._make(out)
        ctx.n_outputs = 1
        return Tensor._make(out, ctx, 0)


def _edge(t):
    if t is None or not t.requires_grad:
        return None
    if t.grad_fn is not None:
        return (t.grad_fn, t.output_index)
    if t._accumulator is None:
        t._accumulator = AccumulateGrad(t)
    return (t._accumulator, 0)


def _raise_device_mismatch(cls, inputs):
    described = ", ".join(f"{device_of(t.data)} (shape {tuple(t.shape)})"
                          for t in inputs if t is not None)
    raise ValueError(f"{cls.__name__.lower()}: expected all tensors on the same device, "
                     f"got {described}")
