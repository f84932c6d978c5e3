"""Gradient buckets: parameters grouped, in the order backward reaches them, into flat
buffers of a capped size, each all-reduced as one message.

Backward meets a model's parameters roughly in reverse registration order, so buckets are
filled from the last parameter back; the first bucket is kept small (as PyTorch does) so
that the first all-reduce starts early. A bucket holds one dtype on one device.
"""
from ... import backend
from ...distributed import ReduceOp, arrays
from ...tensor import Tensor

FIRST_BUCKET_BYTES = 1024 * 1024
CALL = "DistributedDataParallel"


def plan_buckets(params, cap_bytes):
    """Lists of indices into `params`, bucket by bucket, from the last parameter back; a
    bucket closes when the next parameter would take it past its cap (a parameter larger
    than the cap has a bucket of its own)."""
    plans, filling = [], {}
    for index in reversed(range(len(params))):
        p = params[index]
        key = (backend.device_of(p._data), p.dtype)
        bucket = filling.get(key)
        if bucket is not None and bucket["bytes"] + p._data.nbytes > bucket["cap"]:
            bucket = None
        if bucket is None:
            cap = min(cap_bytes, FIRST_BUCKET_BYTES) if not plans else cap_bytes
            bucket = filling[key] = {"indices": [], "bytes": 0, "cap": cap}
            plans.append(bucket["indices"])
        bucket["indices"].append(index)
        bucket["bytes"] += p._data.nbytes
    return plans


class Bucket:
    """Some parameters' gradients in one flat buffer, followed by one slot per parameter
    that says whether the rank had a gradient for it (so a parameter no rank used keeps
    grad None, as it would training alone)."""

    def __init__(self, params):
        self.params = params
        self.sizes = [p._data.size for p in params]
        self.total = sum(self.sizes)
        self.flat = None
        self.work = None

    def _buffer(self, like):
        xp = backend.xp_of(like)
        n = self.total + len(self.params)
        if self.flat is None or backend.xp_of(self.flat) is not xp \
                or backend.device_of(self.flat) != backend.device_of(like) \
                or self.flat.dtype != like.dtype:
            self.flat = xp.empty(n, dtype=like.dtype)
        return self.flat

    def start(self):
        """Copy the gradients in and begin averaging them across ranks."""
        flat = self._buffer(self.params[0]._data)
        offset = 0
        for i, (p, n) in enumerate(zip(self.params, self.sizes)):
            if p.grad is None:
                flat[offset:offset + n] = 0
            else:
                flat[offset:offset + n] = p.grad._data.reshape(-1)
            flat[self.total + i] = p.grad is not None
            offset += n
        self.work = arrays.start_all_reduce(flat, ReduceOp.AVG, CALL)

    def finish(self):
        """Wait for the average and write it into the parameters' gradients."""
        arrays.wait(self.work, CALL)
        self.work = None
        flat, offset = self.flat, 0
        for i, (p, n) in enumerate(zip(self.params, self.sizes)):
            average = flat[offset:offset + n].reshape(p.shape)
            offset += n
            if p.grad is not None:
                p.grad._data[...] = average
            elif flat[self.total + i] > 0:
                p.grad = Tensor._make(average.copy())

    def poll(self):
        """Let MPI move this bucket's message along (its progress runs inside MPI calls)."""
        if self.work is not None:
            self.work.is_completed()
