"""Backpropagation: the pass that walks a recorded graph from an output back to its leaves.

The graph is made of the Function nodes that minicnn/autograd.py records (each holds
`next_edges`: for every input, the node that produced it and which of its outputs, or
the AccumulateGrad of a leaf, or None). This module knows nodes and leaves only through
those attributes, so it sits below Tensor: Tensor.backward calls `run_backward` and hands
it `as_tensor`, the wrapping that hooks and `.grad` need.

Each node runs with the device of its inputs current (its `device_context`), and every
gradient that reaches a tensor, from a node or from a hook, must live on that tensor's
device.
"""
import threading

import numpy as np

from . import anomaly_mode, grad_mode, kernels
from .backend import (ON_HOST, check_same_device, device_mismatch, device_of,
                      device_of_context, on_device_of)
from .version_counter import check_saved_versions


def as_ndarray(out):
    """NumPy reductions return scalars (np.float32 ...); tensors always hold arrays."""
    return np.asarray(out) if isinstance(out, np.generic) else out


class AccumulateGrad:
    """The graph's sink for a leaf tensor: adds the incoming gradient to `leaf.grad`."""

    __slots__ = ("leaf",)
    name = "AccumulateGrad"
    next_functions = ()

    def __init__(self, leaf):
        self.leaf = leaf

    @property
    def variable(self):
        """The leaf tensor (PyTorch's name)."""
        return self.leaf

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


_running = threading.local()          # per thread: the callback lists of the passes running


def queue_callback(callback):
    """Call `callback()` once the backward pass in progress (in this thread) has reached
    every leaf (PyTorch's engine.queue_callback): a hook uses it to finish work that spans
    the whole pass, such as waiting for gradient all-reduces."""
    stack = getattr(_running, "callbacks", None)
    if not stack:
        raise RuntimeError("queue_callback: no backward pass is running in this thread")
    stack[-1].append(callback)


SECOND_BACKWARD = (
    "{}: trying to backward through the graph a second time (or to read saved arrays "
    "after they were freed); call backward(retain_graph=True) the first time if you "
    "need to go through it again"
)


def _topological_dependencies(root):
    """For each Function reachable from `root`, how many edges point at it; and for each
    leaf with post-accumulate hooks, how many edges reach it (its hooks run after the last)."""
    deps = {root: 0}
    leaf_edges = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if node.released:
            raise RuntimeError(SECOND_BACKWARD.format(node.name))
        for edge in node.next_edges:
            if edge is None:
                continue
            if type(edge[0]) is AccumulateGrad:
                leaf = edge[0].leaf
                if leaf._post_accumulate_hooks:
                    leaf_edges[leaf] = leaf_edges.get(leaf, 0) + 1
                continue
            nxt = edge[0]
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                stack.append(nxt)
    return deps, leaf_edges


def _check_device(array, grad):
    """`grad` lives on the device of `array`, the tensor (or the gradient) it stands for."""
    if type(grad) is not np.ndarray or type(array) is not np.ndarray:
        check_same_device("backward", (array, grad))


def _check_input_gradients(node, grads):
    """Every gradient node.backward returns lives on the device of the node's inputs, the
    device its context makes current."""
    context = node.device_context
    for g in grads:
        if g is None or (context is ON_HOST and type(g) is np.ndarray):
            continue
        expected = device_of_context(context)
        if device_of(g) != expected:
            raise device_mismatch(f"{node.name}.backward", expected, device_of(g),
                                  f"(a gradient of shape {tuple(g.shape)} for an input on "
                                  f"{expected})")


def _sum(a, b):
    """a + b, two gradients for one tensor, in a new array (either may be held elsewhere)."""
    return kernels.get("add", a)(a, b)


def _accumulate_leaf(leaf, grad, as_tensor, fresh=False):
    """leaf.grad += grad; `fresh`: grad is referenced nowhere else and may become leaf.grad."""
    grad = as_ndarray(grad)                   # a 0-d leaf's gradient may come as a NumPy scalar
    fresh = fresh and not leaf._hooks and grad.flags.c_contiguous
    for hook in leaf._hooks or ():
        result = hook(as_tensor(grad))
        if result is not None:
            grad = result._data
    _check_device(leaf._data, grad)
    if grad.shape != leaf._data.shape or grad.dtype != leaf._data.dtype:
        raise RuntimeError(f"backward: a gradient of shape {grad.shape} and dtype {grad.dtype} "
                           f"reached a leaf of shape {leaf._data.shape} and dtype "
                           f"{leaf._data.dtype}")
    if leaf.grad is None:
        # else a copy: the same gradient array may reach several leaves (e.g. both inputs of
        # add), or be an array the graph still holds
        leaf.grad = as_tensor(grad if fresh else grad.copy())
    else:
        leaf.grad._data = as_ndarray(_sum(leaf.grad._data, grad))


def _post_accumulate(leaf):
    """Run the leaf's post-accumulate hooks: its gradient of this pass is complete."""
    for hook in leaf._post_accumulate_hooks:
        hook(leaf)


def _output_gradients(node, received, as_tensor):
    """The gradient for each output of `node`, after tensor hooks and retain_grad."""
    grads = []
    for i in range(node.n_outputs):
        g = received.get(i)
        if g is not None and node.output_hooks and i in node.output_hooks:
            for hook in node.output_hooks[i]:
                result = hook(as_tensor(g))
                if result is not None:
                    _check_device(g, result._data)
                    g = result._data
        if g is not None and node.retained_outputs and i in node.retained_outputs:
            target = node.retained_outputs[i]()
            if target is not None:
                target.grad = as_tensor(g.copy() if target.grad is None
                                        else target.grad._data + g)
        grads.append(g)
    if node.n_outputs > 1:
        xp = node.output_xp
        grads = [g if g is not None else xp.zeros(shape, dtype=dtype)
                 for g, (shape, dtype) in zip(grads, node.output_meta)]
    return grads


def run_backward(root, gradient, retain_graph, as_tensor):
    """Propagate `gradient` (an array shaped like `root`) back to every leaf, then run the
    callbacks that hooks queued during the pass (queue_callback), in order.

    Each node runs once, after every node that feeds it a gradient has run
    (Kahn's algorithm over the dependency counts); no recursion, so graphs of
    any depth work. `as_tensor(array)` makes the plain Tensor that a hook receives and
    that `.grad` holds.
    """
    stack = getattr(_running, "callbacks", None)
    if stack is None:
        stack = _running.callbacks = []
    callbacks = []
    stack.append(callbacks)
    try:
        _propagate(root, gradient, retain_graph, as_tensor)
    finally:
        stack.pop()
    for callback in callbacks:
        callback()


def _propagate(root, gradient, retain_graph, as_tensor):
    """The pass itself: every node once, in dependency order."""
    if root.grad_fn is None:
        with on_device_of(root._data):
            _accumulate_leaf(root, gradient, as_tensor)
            if root._post_accumulate_hooks:
                _post_accumulate(root)
        return
    deps, leaf_edges = _topological_dependencies(root.grad_fn)
    reached = set()                                # hooked leaves that received a gradient
    buffers = {root.grad_fn: {root.output_index: gradient}}
    ready = [root.grad_fn]
    while ready:
        node = ready.pop()
        with node.device_context:
            received = buffers.pop(node, None)
            if received:
                if node.saved_versions:
                    check_saved_versions(node)
                grads = _output_gradients(node, received, as_tensor)
                try:
                    with grad_mode.no_grad():
                        input_grads = node.backward(node, *grads)
                except Exception as error:
                    if anomaly_mode._enabled:
                        anomaly_mode.add_creation_note(error, node)
                    raise
                if type(input_grads) is not tuple:
                    input_grads = (input_grads,)
                if len(input_grads) != len(node.next_edges):
                    raise RuntimeError(f"{node.name}.backward returned {len(input_grads)} "
                                       f"gradients for {len(node.next_edges)} inputs")
                _check_input_gradients(node, input_grads)
                if anomaly_mode._enabled and anomaly_mode._check_nan:
                    anomaly_mode.check_gradients(node, input_grads)
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
                    leaf = nxt.leaf
                    if g is not None:
                        fresh = node.fresh_input_grads and not any(g is k for k in kept)
                        _accumulate_leaf(leaf, g, as_tensor, fresh)
                        kept.append(g)
                    if leaf in leaf_edges:
                        if g is not None:
                            reached.add(leaf)
                        leaf_edges[leaf] -= 1
                        if leaf_edges[leaf] == 0 and leaf in reached:
                            _post_accumulate(leaf)
                    continue
                if g is not None:
                    slot = buffers.setdefault(nxt, {})
                    slot[index] = g if index not in slot else _sum(slot[index], g)
                deps[nxt] -= 1
                if deps[nxt] == 0:
                    ready.append(nxt)
