"""A 1×1, unpadded, ungrouped convolution (the "pointwise" algorithm of conv_select.py). A
strided one, such as ResNet's 1×1 shortcuts, is the same on the input's every stride-th row
and column (conv2d slices them first), which spares im2col's gather.

Where an image's output map has at least PER_IMAGE_MIN_PIXELS pixels: one GEMM per image,
W (OC, C) · x[n] (C, H·W), straight from and into NCHW. On NumPy arrays each thread takes a
slice of the images with BLAS on one thread: NumPy's batched matmul would call a two-thread
GEMM per image, waking BLAS's helper thread for each.

On smaller maps (below 8×8: ResNet-50's and DenseNet's 7×7, MobileNet's last 4×4 and 2×2
on 32² inputs) those GEMMs are too thin for BLAS's rate, so the batch goes through one GEMM,
W · X with X (C, N·H·W), after a transpose of the input and before one of the product back
to NCHW: two passes over arrays that are small on such maps. The gradients likewise:
dX = Wᵀ · dY and dW = dY · Xᵀ, one GEMM each over the batch.
"""
import contextlib

import numpy as np

from ..autograd import Function
from ..threads import ThreadSums, one_blas_thread_below
from ._common import xp
from .conv_gemm import _batch_first, _channels_first
from .workspace import over_batch_chunks

PER_IMAGE_MIN_PIXELS = 64
# over_batch_chunks with no buffer to keep in a core's cache: one slice of the images per
# thread on NumPy arrays, the whole batch at once otherwise.
NO_WORKSPACE = 1


def _weight_term(m, g3, x3, out):
    """out = Σₙ g3[n] · x3[n]ᵀ over the images of g3 (n, OC, P) and x3 (n, C, P)."""
    m.matmul(g3[0], x3[0].T, out=out)
    for n in range(1, g3.shape[0]):
        out += g3[n] @ x3[n].T


def _blas_for(a, macs):
    """The BLAS threading of a GEMM of `macs` multiply-adds over the batch on arrays like
    `a` (one thread for small ones on NumPy arrays, threads.one_blas_thread_below)."""
    return one_blas_thread_below(macs) if type(a) is np.ndarray else contextlib.nullcontext()


class Conv2dPointwise(Function):
    """y[n] = W · x[n] for every image n, W of shape (OC, C)."""

    fresh_input_grads = True

    @staticmethod
    def forward(ctx, x, w, b):
        N, C, H, W = x.shape
        ctx.save_for_backward(x, w)
        if H * W < PER_IMAGE_MIN_PIXELS:
            return _batch_forward(x, w, b)
        m = xp(x)
        OC = w.shape[0]
        w2, x3 = w.reshape(OC, C), x.reshape(N, C, H * W)
        out = m.empty((N, OC, H * W), dtype=x.dtype)                     # (N, OC, P)

        def images(part):
            m.matmul(w2, x3[part], out=out[part])
            if b is not None:                                            # while in cache
                out[part] += b.reshape(1, OC, 1)

        over_batch_chunks(m, images, N, NO_WORKSPACE, work_bytes=x.nbytes + out.nbytes)
        return out.reshape(N, OC, H, W)

    @staticmethod
    def backward(ctx, g):
        """dX[n] = Wᵀ · dY[n], dW = Σₙ dY[n] · X[n]ᵀ, db = Σ dY."""
        x, w = ctx.saved_arrays
        m = xp(g)
        N, C, H, W = x.shape
        OC = w.shape[0]
        need_x, need_w, need_b = ctx.needs_input_grad
        if H * W < PER_IMAGE_MIN_PIXELS:
            return _batch_backward(x, w, g, ctx.needs_input_grad)
        w2 = w.reshape(OC, C)
        g3 = g.reshape(N, OC, H * W)                                      # (N, OC, P)
        x3 = x.reshape(N, C, H * W)                                       # (N, C, P)
        dx = m.empty((N, C, H * W), dtype=g.dtype) if need_x else None
        dw = ThreadSums(lambda: m.empty((OC, C), dtype=w.dtype))          # (OC, C)

        def images(part):
            if need_x:
                m.matmul(w2.T, g3[part], out=dx[part])
            if need_w:
                dw.add(lambda out: _weight_term(m, g3[part], x3[part], out))

        over_batch_chunks(m, images, N, NO_WORKSPACE, work_bytes=x.nbytes + g.nbytes)
        return (dx.reshape(x.shape) if need_x else None,
                dw.total().reshape(w.shape) if need_w else None,
                g.sum(axis=(0, 2, 3)) if need_b else None)


def _batch_forward(x, w, b):
    """y = W · X over the whole batch, X = x as (C, N·P)."""
    N, C, H, W = x.shape
    OC = w.shape[0]
    xs = _channels_first(x).reshape(C, N * H * W)                       # (C, N*P)
    with _blas_for(x, OC * xs.size):
        y = w.reshape(OC, C) @ xs                                       # (OC, N*P)
    out = xp(x).ascontiguousarray(_batch_first(y, (N, OC, H, W)))       # (N, OC, H, W)
    if b is not None:
        out += b.reshape(1, OC, 1, 1)
    return out


def _batch_backward(x, w, g, needs_input_grad):
    """dX = Wᵀ · dY and dW = dY · Xᵀ over the whole batch, dY as (OC, N·P); db = Σ dY."""
    need_x, need_w, need_b = needs_input_grad
    N, C, H, W = x.shape
    OC = w.shape[0]
    gs = _channels_first(g).reshape(OC, N * H * W)                      # (OC, N*P)
    dx = dw = None
    with _blas_for(g, C * gs.size):
        if need_x:
            dx = xp(g).ascontiguousarray(
                _batch_first(w.reshape(OC, C).T @ gs, (N, C, H, W)))    # (N, C, H, W)
        if need_w:
            dw = (gs @ _channels_first(x).reshape(C, N * H * W).T).reshape(w.shape)
    return dx, dw, g.sum(axis=(0, 2, 3)) if need_b else None
