"""DistributedDataParallel: the same model in every process, each on its share of the
batch, with gradients averaged across processes during backward."""
import contextlib
import numbers
import zlib

from ... import grad_mode
from ...distributed import arrays, is_initialized
from ..module import Module
from .buckets import CALL
from .coalesce import broadcast_coalesced
from .reducer import Reducer

MIB = 1024 * 1024


def _unique(tensors):
    seen, out = set(), []
    for t in tensors:
        if id(t) not in seen:
            seen.add(id(t))
            out.append(t)
    return out


def _layout_checksum(params):
    """A checksum of the parameters' shapes and dtypes, compared across ranks."""
    return zlib.crc32(repr([(tuple(p.shape), p.dtype.str) for p in params]).encode())


class DistributedDataParallel(Module):
    """Wrap `module` for data-parallel training (torch.nn.parallel.DistributedDataParallel).

    At construction, every rank checks that it wraps the same parameter shapes and takes
    rank 0's parameters and buffers. In training, each forward first takes rank 0's buffers
    (BatchNorm's running statistics) when broadcast_buffers; backward averages the
    gradients across ranks in buckets of about bucket_cap_mb MiB, each bucket's all-reduce
    starting as soon as backward has produced all of its gradients and running while
    backward goes on; when backward returns, every rank holds the same averaged gradients,
    so the same optimizer step keeps the replicas identical. Inside `no_sync()` gradients
    only accumulate locally (gradient accumulation); the next backward outside it averages
    the sum. The wrapped model is `.module` (its state_dict keys are prefixed `module.`, as
    in PyTorch)."""

    def __init__(self, module, broadcast_buffers=True, bucket_cap_mb=25):
        super().__init__()
        if not is_initialized():
            raise RuntimeError(f"{CALL}: the default process group is not initialized; call "
                               f"mc.distributed.init_process_group() first")
        if not isinstance(module, Module):
            raise TypeError(f"{CALL}: module must be a Module, got {type(module).__name__}")
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, numbers.Real) \
                or not bucket_cap_mb > 0:
            raise ValueError(f"{CALL}: bucket_cap_mb must be a positive number, got "
                             f"{bucket_cap_mb!r}")
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.bucket_cap_mb = bucket_cap_mb
        params = _unique(p for p in module.parameters() if p.requires_grad)
        arrays.agree(CALL, number_of_parameters=len(params),
                     checksum_of_parameter_shapes=_layout_checksum(params))
        broadcast_coalesced(_unique(module.parameters()) + self._buffers_to_sync(), 0, CALL)
        self.reducer = Reducer(params, int(bucket_cap_mb * MIB))

    def _buffers_to_sync(self):
        return _unique(b for b in self.module.buffers() if b is not None)

    def forward(self, *args, **kwargs):
        if self.broadcast_buffers and self.training and grad_mode.is_grad_enabled():
            buffers = self._buffers_to_sync()
            if buffers:
                broadcast_coalesced(buffers, 0, CALL)
        outputs = self.module(*args, **kwargs)
        if grad_mode.is_grad_enabled():
            self.reducer.prepare(outputs)
        return outputs

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside only accumulate gradients on this rank."""
        previous = self.reducer.require_sync
        self.reducer.require_sync = False
        try:
            yield
        finally:
            self.reducer.require_sync = previous

    def extra_repr(self):
        return f"bucket_cap_mb={self.bucket_cap_mb}, buckets={len(self.reducer.buckets)}"
