"""One step of torch.optim.SGD on one parameter as a single pass over its elements, split
into contiguous runs over the Numba threads (short parameters on the calling thread).

The reference makes a pass per operation (the momentum buffer's scaling and sum, the
learning-rate product, the subtraction), each allocating or rewriting a whole array; here
each element of the parameter, its gradient and its buffer is read once and written once.
Each operation rounds in the parameter's dtype, in the reference's order and without
fused multiply-adds (no fast-math), so both forms agree bit for bit. Parameters that are
not C-contiguous float32/float64 NumPy arrays sharing one dtype take the reference.
"""
import numpy as np
from numba import njit, prange

from ..reference import optim as reference
from ._runs import element_runs

MIN_RUN = 1 << 15          # elements per run at least: below two runs one thread is as fast


@njit(inline="always")
def _update_run(param, grad, buf, lr, momentum, damping, weight_decay, nesterov, maximize,
                has_buf, has_decay, damped):
    for i in range(param.shape[0]):
        g = -grad[i] if maximize else grad[i]
        if has_decay:
            g = param[i] * weight_decay + g
        if has_buf:
            b = buf[i] * momentum
            b = b + (g * damping if damped else g)
            buf[i] = b
            g = g + momentum * b if nesterov else b
        param[i] = param[i] - lr * g


@njit(parallel=True, nogil=True, cache=True)
def _update(param, grad, buf, lr, momentum, damping, weight_decay, nesterov, maximize,
            has_buf, has_decay, damped, runs):
    n = param.shape[0]
    for r in prange(runs):
        lo, hi = r * n // runs, (r + 1) * n // runs
        _update_run(param[lo:hi], grad[lo:hi], buf[lo:hi], lr, momentum, damping,
                    weight_decay, nesterov, maximize, has_buf, has_decay, damped)


@njit(nogil=True, cache=True)
def _update_serial(param, grad, buf, lr, momentum, damping, weight_decay, nesterov, maximize,
                   has_buf, has_decay, damped):
    _update_run(param, grad, buf, lr, momentum, damping, weight_decay, nesterov, maximize,
                has_buf, has_decay, damped)


def _fused(param, grad, buf):
    """Whether the single pass applies: C-contiguous float32/float64 NumPy arrays of one
    dtype and size, the parameter (and buffer) writeable."""
    arrays = (param, grad) if buf is None else (param, grad, buf)
    return (all(type(a) is np.ndarray and a.dtype == param.dtype and a.size == param.size
                and a.flags.c_contiguous for a in arrays)
            and param.dtype in (np.float32, np.float64) and param.flags.writeable
            and (buf is None or buf.flags.writeable))


def sgd_update(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """param ← param − lr·v in place, where, with g = ±grad + weight_decay·param:

        buf ← momentum·buf + (1 − dampening)·g   (in place; buf None: no momentum, v = g)
        v = g + momentum·buf  if nesterov  else  buf

    Each scalar is taken in param's dtype, and each product and sum rounds in it."""
    if not _fused(param, grad, buf):
        reference.sgd_update(param, grad, buf, lr, momentum, dampening, weight_decay,
                             nesterov, maximize)
        return
    scalar = param.dtype.type
    flat = param.reshape(-1)
    buffer = flat if buf is None else buf.reshape(-1)             # not read without momentum
    arguments = (flat, grad.reshape(-1), buffer, scalar(lr), scalar(momentum),
                 scalar(1 - dampening), scalar(weight_decay), bool(nesterov), bool(maximize),
                 buf is not None, weight_decay != 0, dampening != 0)
    runs = element_runs(param.size, MIN_RUN)
    if runs == 1:
        _update_serial(*arguments)
    else:
        _update(*arguments, runs)
