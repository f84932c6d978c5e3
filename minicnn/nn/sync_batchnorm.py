"""SyncBatchNorm: batch normalization whose statistics are those of the global batch, the
union of every process's share (torch.nn.SyncBatchNorm), and convert_sync_batchnorm.

Forward: each rank computes its count, mean and sum of squared deviations per channel; one
all_gather gives every rank all of them, combined as Chan's parallel variance does (no
E[x²] − E[x]², which loses precision). Backward: one all_reduce of Σg and Σg·x̂ gives the
global means that dx needs; dw and db stay local, and DistributedDataParallel averages
them with the other gradients. Without a process group of more than one rank it is plain
BatchNorm.
"""
import numpy as np

from .. import backend
from ..autograd import Function
from ..distributed import arrays
from .normalization import _BatchNorm

CALL = "SyncBatchNorm"


def _axes(ndim):
    return (0,) + tuple(range(2, ndim))


def _channel_shape(ndim):
    return (1, -1) + (1,) * (ndim - 2)


def global_moments(x):
    """(count, mean, biased variance) per channel over every rank's x; mean and variance
    in float64."""
    xp = backend.xp_of(x)
    C = x.shape[1]
    count = x.size // C
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=_axes(x.ndim)) if count else xp.zeros(C)
    m2 = ((x64 - mean.reshape(_channel_shape(x.ndim))) ** 2).sum(axis=_axes(x.ndim))
    mine = xp.concatenate([xp.array([float(count)]), mean, m2])
    table = xp.stack(arrays.all_gather(mine, CALL))
    counts, means, m2s = table[:, :1], table[:, 1:1 + C], table[:, 1 + C:]
    total = counts.sum()
    mean = (counts * means).sum(axis=0) / total
    m2 = m2s.sum(axis=0) + (counts * (means - mean) ** 2).sum(axis=0)
    return int(total), mean, m2 / total


class SyncBatchNormFunction(Function):
    """Training-mode batch normalization with the given global statistics (`mean`, `var`
    over `total` values per channel)."""

    @staticmethod
    def forward(ctx, x, weight, bias, mean, var, total, eps):
        shape = _channel_shape(x.ndim)
        xp = backend.xp_of(x)
        invstd = (1 / xp.sqrt(var + eps)).astype(x.dtype)
        xhat = (x - mean.astype(x.dtype).reshape(shape)) * invstd.reshape(shape)
        y = xhat if weight is None else xhat * weight.reshape(shape)
        if bias is not None:
            y = y + bias.reshape(shape)
        ctx.save_for_backward(xhat, weight)
        ctx.invstd = invstd
        ctx.total = total
        return y

    @staticmethod
    def backward(ctx, g):
        """dx = (w/σ)·(g − Σg/n − x̂·Σ(g·x̂)/n), Σ and n over every rank's batch;
        dw = Σ g·x̂, db = Σ g over this rank's batch."""
        xhat, weight = ctx.saved_arrays
        axes, shape, C = _axes(g.ndim), _channel_shape(g.ndim), g.shape[1]
        sum_g = g.sum(axis=axes)
        sum_g_xhat = (g * xhat).sum(axis=axes)
        need_x, need_w, need_b = ctx.needs_input_grad
        dx = None
        if need_x:
            both = backend.xp_of(g).concatenate([sum_g, sum_g_xhat])
            arrays.all_reduce(both, CALL)
            mean_g = (both[:C] / ctx.total).reshape(shape)
            mean_g_xhat = (both[C:] / ctx.total).reshape(shape)
            scale = ctx.invstd if weight is None else ctx.invstd * weight
            dx = scale.reshape(shape) * (g - mean_g - xhat * mean_g_xhat)
        return dx, sum_g_xhat if need_w else None, sum_g if need_b else None


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over (N, C, ...) input whose training statistics cover every process's
    batch (torch.nn.SyncBatchNorm); in eval mode, or alone, it is BatchNorm."""

    def _check_input_dim(self, input):
        if input.ndim < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {input.ndim}D "
                             f"input)")

    def forward(self, input):
        self._check_input_dim(input)
        if not self.training or arrays.world_size_or_one() == 1:
            return super().forward(input)
        total, mean, var = global_moments(input._data)
        if total <= 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel when "
                             f"training, got {total} over all ranks")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        out = SyncBatchNormFunction.apply(input, self.weight, self.bias, mean=mean, var=var,
                                          total=total, eps=float(self.eps))
        if self.track_running_stats and self.running_mean is not None:
            rm, rv = self.running_mean._data, self.running_var._data
            rm[...] = (1 - factor) * rm + factor * mean.astype(rm.dtype)
            rv[...] = (1 - factor) * rv + factor * (var * (total / (total - 1))).astype(rv.dtype)
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module):
        """`module` with every BatchNorm1d/2d/3d replaced by a SyncBatchNorm holding the same
        parameters and buffers (a new module when `module` itself is a BatchNorm)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            sync = cls(module.num_features, module.eps, module.momentum, module.affine,
                       module.track_running_stats)
            if module.affine:
                sync.weight = module.weight
                sync.bias = module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                sync._buffers[name] = getattr(module, name)
            sync.training = module.training
            return sync
        for name, child in list(module.named_children()):
            setattr(module, name, cls.convert_sync_batchnorm(child))
        return module


convert_sync_batchnorm = SyncBatchNorm.convert_sync_batchnorm
