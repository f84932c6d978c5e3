"""Reverse-mode automatic differentiation: Function nodes and the backward pass.

A differentiable op is a subclass of `Function` with two static methods on raw
arrays (NumPy or CuPy):

    forward(ctx, *arrays, **params) -> array or tuple of arrays
    backward(ctx, *grad_outputs)    -> one gradient (or None) per array input

`Function.apply(*inputs, **params)` runs forward on the inputs' arrays and, when
grad mode is on and an input requires grad, records the node in the graph. The
instance of the Function is the `ctx`: forward stores on it what backward needs
(`ctx.save_for_backward(...)` or plain attributes) and the backward pass drops
all of it once the node has run, unless `retain_graph=True`.

Gradients are first order: backward works on arrays, so the gradient itself is
not differentiable (no double backward).
"""
import numpy as np

from . import grad_mode
from .backend import device_of, xp_of


class Function:
    """Base class of every differentiable op; an instance is one node of the graph."""

    __slots__ = ("needs_input_grad", "next_edges", "saved", "output_hooks", "retained_outputs",
                 "non_differentiable", "n_outputs", "output_meta", "output_xp", "released",
                 "__dict__", "__weakref__")

    # True where backward returns input gradients that nothing else references: arrays it
    # allocated, one per input. A leaf's first gradient is then kept as it is, not copied
    # (an 8 MB copy in a BatchNorm2d forward+backward of 5-7 ms).
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
            raise RuntimeError(_SECOND_BACKWARD.format(type(self).__name__))
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
        from .tensor import Tensor

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
        record = record and grad_mode.state.enabled
        ctx = cls()
        if record:
            ctx.needs_input_grad = tuple(t is not None and t.requires_grad for t in inputs)
        else:
            ctx.needs_input_grad = (False,) * len(inputs)
        out = cls.forward(ctx, *arrays, **params)
        if type(out) is tuple:
            out = tuple(_as_ndarray(o) for o in out)
        else:
            out = _as_ndarray(out)
        if not record:
            if type(out) is tuple:
                return tuple(Tensor._make(o) for o in out)
            return Tensor._make(out)
        ctx.next_edges = tuple(_edge(t) for t in inputs)
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


def _as_ndarray(out):
    """NumPy reductions return scalars (np.float32 ...); tensors always hold arrays."""
    return np.asarray(out) if isinstance(out, np.generic) else out


class AccumulateGrad:
    """The graph's sink for a leaf tensor: adds the incoming gradient to `leaf.grad`."""

    __slots__ = ("leaf",)

    def __init__(self, leaf):
        self.leaf = leaf


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


_SECOND_BACKWARD = (
    "{}: trying to backward through the graph a second time (or to read saved arrays "
    "after they were freed); call backward(retain_graph=True) the first time if you "
    "need to go through it again"
)


def _topological_dependencies(root):
    """For each Function reachable from `root`, how many edges point at it."""
    deps = {root: 0}
    stack = [root]
    while stack:
        node = stack.pop()
        if node.released:
            raise RuntimeError(_SECOND_BACKWARD.format(node.name))
        for edge in node.next_edges:
            if edge is None or type(edge[0]) is AccumulateGrad:
                continue
            nxt = edge[0]
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                stack.append(nxt)
    return deps


def _accumulate_leaf(leaf, grad, fresh=False):
    """leaf.grad += grad; `fresh`: grad is referenced nowhere else and may become leaf.grad."""
    from .tensor import Tensor

    grad = _as_ndarray(grad)                   # a 0-d leaf's gradient may come as a NumPy scalar
    fresh = fresh and not leaf._hooks and grad.flags.c_contiguous
    for hook in leaf._hooks or ():
        result = hook(Tensor._make(grad))
        if result is not None:
            grad = result.data
    if grad.shape != leaf.data.shape or grad.dtype != leaf.data.dtype:
        raise RuntimeError(f"backward: a gradient of shape {grad.shape} and dtype {grad.dtype} "
                           f"reached a leaf of shape {leaf.data.shape} and dtype "
                           f"{leaf.data.dtype}")
    if leaf.grad is None:
        # else a copy: the same gradient array may reach several leaves (e.g. both inputs of
        # add), or be an array the graph still holds
        leaf.grad = Tensor._make(grad if fresh else grad.copy())
    else:
        leaf.grad.data = _as_ndarray(leaf.grad.data + grad)


def _output_gradients(node, received):
    """The gradient for each output of `node`, after tensor hooks and retain_grad."""
    from .tensor import Tensor

    grads = []
    for i in range(node.n_outputs):
        g = received.get(i)
        if g is not None and node.output_hooks and i in node.output_hooks:
            for hook in node.output_hooks[i]:
                result = hook(Tensor._make(g))
                if result is not None:
                    g = result.data
        if g is not None and node.retained_outputs and i in node.retained_outputs:
            target = node.retained_outputs[i]()
            if target is not None:
                target.grad = Tensor._make(g.copy() if target.grad is None
                                           else target.grad.data + g)
        grads.append(g)
    if node.n_outputs > 1:
        xp = node.output_xp
        grads = [g if g is not None else xp.zeros(shape, dtype=dtype)
                 for g, (shape, dtype) in zip(grads, node.output_meta)]
    return grads


def run_backward(root, gradient, retain_graph):
    """Propagate `gradient` (an array shaped like `root`) back to every leaf.

    Each node runs once, after every node that feeds it a gradient has run
    (Kahn's algorithm over the dependency counts); no recursion, so graphs of
    any depth work.
    """
    if root.grad_fn is None:
        _accumulate_leaf(root, gradient)
        return
    deps = _topological_dependencies(root.grad_fn)
    buffers = {root.grad_fn: {root.output_index: gradient}}
    ready = [root.grad_fn]
    while ready:
        node = ready.pop()
        received = buffers.pop(node, None)
        if received:
            grads = _output_gradients(node, received)
            with grad_mode.no_grad():
                input_grads = node.backward(node, *grads)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if len(input_grads) != len(node.next_edges):
                raise RuntimeError(f"{node.name}.backward returned {len(input_grads)} "
                                   f"gradients for {len(node.next_edges)} inputs")
        else:
            input_grads = (None,) * len(node.next_edges)
        edges = node.next_edges
        if not retain_graph:
            node.release()
        kept = []                                  # gradients already kept as a leaf's grad
        for edge, g in zip(edges, input_grads):
            if edge is None:
                continue
            nxt, index = edge
            if type(nxt) is AccumulateGrad:
                if g is not None:
                    fresh = node.fresh_input_grads and not any(g is k for k in kept)
                    _accumulate_leaf(nxt.leaf, g, fresh)
                    kept.append(g)
                continue
            if g is not None:
                slot = buffers.setdefault(nxt, {})
                slot[index] = g if index not in slot else slot[index] + g
            deps[nxt] -= 1
            if deps[nxt] == 0:
                ready.append(nxt)
