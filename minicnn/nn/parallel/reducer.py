"""The reducer behind DistributedDataParallel: it launches each bucket's all-reduce as soon
as backward has finished every gradient in it, and finishes them all when backward ends.

Each parameter's post-accumulate-grad hook marks it ready; after each forward, the
parameters that its graph does not reach are marked ready at once (they get no gradient
in the coming backward, and must not hold back their bucket). Buckets are launched
strictly in bucket order, so every rank starts the same collectives in the same order
whatever the timing; meanwhile each hook polls the buckets in flight, which is what lets
MPI move them while backward goes on. The first hook of a pass queues `finish` to run when
the pass ends: it launches the buckets not launched yet and waits for all of them in order.
"""
import weakref

from ...backprop import AccumulateGrad, queue_callback
from ...tensor import Tensor
from .buckets import CALL, Bucket, plan_buckets


def _hook(reducer_ref, index):
    """The post-accumulate hook of parameter `index` (a weak reference, so a dropped
    DistributedDataParallel leaves inert hooks behind, not a live reducer)."""
    def hook(_param):
        reducer = reducer_ref()
        if reducer is not None:
            reducer.mark_ready(index)
    return hook


def _tensors(value):
    """The tensors in a forward's output (a tensor, or tuples, lists and dicts of them)."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


def reached_leaves(outputs):
    """The ids of the leaf tensors whose gradients backward from `outputs` can reach."""
    leaves, seen = set(), set()
    stack = []
    for t in _tensors(outputs):
        if t.grad_fn is None:
            leaves.add(id(t))
        else:
            stack.append(t.grad_fn)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for edge in node.next_edges:
            if edge is None:
                continue
            if type(edge[0]) is AccumulateGrad:
                leaves.add(id(edge[0].leaf))
            else:
                stack.append(edge[0])
    return leaves


class Reducer:
    def __init__(self, params, cap_bytes):
        self.params = params
        plans = plan_buckets(params, cap_bytes)
        self.buckets = [Bucket([params[i] for i in plan]) for plan in plans]
        self.bucket_of = {i: b for b, plan in enumerate(plans) for i in plan}
        self.require_sync = True
        self._reset()
        ref = weakref.ref(self)
        for index, param in enumerate(params):
            param.register_post_accumulate_grad_hook(_hook(ref, index))

    def _reset(self):
        self.pending = [len(b.params) for b in self.buckets]
        self.ready = [False] * len(self.params)
        self.launched = 0
        self.finish_queued = False

    def prepare(self, outputs):
        """After a forward: mark ready the parameters that its graph does not reach."""
        self._reset()
        reached = reached_leaves(outputs)
        for index, param in enumerate(self.params):
            if id(param) not in reached:
                self.ready[index] = True
                self.pending[self.bucket_of[index]] -= 1

    def mark_ready(self, index):
        if not self.require_sync:
            return
        if not self.finish_queued:
            queue_callback(self.finish)
            self.finish_queued = True
        bucket = self.bucket_of[index]
        if self.ready[index]:
            if bucket < self.launched:
                raise RuntimeError(f"{CALL}: parameter {index} received a gradient that the "
                                   f"last forward did not lead to, after its bucket was "
                                   f"sent; call the model once per backward")
            return
        self.ready[index] = True
        self.pending[bucket] -= 1
        while self.launched < len(self.buckets) and self.pending[self.launched] == 0:
            self._launch()
        for bucket in self.buckets[:self.launched]:
            bucket.poll()

    def _launch(self):
        self.buckets[self.launched].start()
        self.launched += 1

    def finish(self):
        """Launch what is left, then wait for every bucket and write the averages back."""
        try:
            while self.launched < len(self.buckets):
                self._launch()
            for bucket in self.buckets:
                bucket.finish()
        finally:
            self._reset()
