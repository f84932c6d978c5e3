"""The reducer behind DistributedDataParallel: it launches each bucket's all-reduce as soon
as backward has finished every gradient in it, and finishes them all when backward ends.

Each parameter's post-accumulate-grad hook marks it ready. Buckets are launched strictly in
bucket order, so every rank starts the same collectives in the same order whatever the
timing; meanwhile each hook polls the buckets in flight, which is what lets MPI move them
while backward goes on. The first hook of a pass queues `finish` to run when the pass
ends: it launches the buckets not launched yet (those holding a parameter that got no
gradient on this rank) and waits for all of them in order.
"""
import weakref

from ...backprop import queue_callback
from .buckets import Bucket, plan_buckets


def _hook(reducer_ref, index):
    """The post-accumulate hook of parameter `index` (a weak reference, so a dropped
    DistributedDataParallel leaves inert hooks behind, not a live reducer)."""
    def hook(_param):
        reducer = reducer_ref()
        if reducer is not None:
            reducer.mark_ready(index)
    return hook


class Reducer:
    def __init__(self, params, cap_bytes):
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
        self.launched = 0
        self.finish_queued = False

    def mark_ready(self, index):
        if not self.require_sync:
            return
        if not self.finish_queued:
            queue_callback(self.finish)
            self.finish_queued = True
        self.pending[self.bucket_of[index]] -= 1
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
