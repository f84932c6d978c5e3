"""A 1×1, unpadded, ungrouped convolution (the "pointwise" algorithm of conv_select.py, taken
where the output map has at least POINTWISE_MIN_PIXELS pixels): one GEMM per image,
W (OC, C) · x[n] (C, H·W), straight from and into NCHW. A strided one, such as ResNet's 1×1
shortcuts, is the same on the input's every stride-th row and column (conv2d slices them
first), which spares the im2col path's gather and its transpose back to NCHW, both costlier
than the GEMM itself.

The general path would first transpose the input to (C, N·H·W) and the product back, two
passes over arrays as large as the activations. On small maps the per-image GEMMs are too
small and the general path's one large GEMM wins. On NumPy arrays each thread takes a slice
of the images with BLAS on one thread: NumPy's batched matmul would call a two-thread GEMM
per image, waking BLAS's helper thread for each.
"""
from ..autograd import Function
from ..threads import ThreadSums
from ._common import xp
from .workspace import over_batch_chunks

POINTWISE_MIN_PIXELS = 64
# over_batch_chunks with no buffer to keep in a core's cache: one slice of the images per
# thread on NumPy arrays, the whole batch at once otherwise.
NO_WORKSPACE = 1


def _weight_term(m, g3, x3, out):
    """out = Σₙ g3[n] · x3[n]ᵀ over the images of g3 (n, OC, P) and x3 (n, C, P)."""
    m.matmul(g3[0], x3[0].T, out=out)
    for n in range(1, g3.shape[0]):
        out += g3[n] @ x3[n].T


class Conv2dPointwise(Function):
    """y[n] = W · x[n] for every image n, W of shape (OC, C)."""

    fresh_input_grads = True

    @staticmethod
    def forward(ctx, x, w, b):
        m = xp(x)
        N, C, H, W = x.shape
        OC = w.shape[0]
        w2, x3 = w.reshape(OC, C), x.reshape(N, C, H * W)
        out = m.empty((N, OC, H * W), dtype=x.dtype)                     # (N, OC, P)

        def images(part):
            m.matmul(w2, x3[part], out=out[part])
            if b is not None:                                            # while in cache
                out[part] += b.reshape(1, OC, 1)

        over_batch_chunks(m, images, N, NO_WORKSPACE, work_bytes=x.nbytes + out.nbytes)
        ctx.save_for_backward(x, w)
        return out.reshape(N, OC, H, W)

    @staticmethod
    def backward(ctx, g):
        """dX[n] = Wᵀ · dY[n], dW = Σₙ dY[n] · X[n]ᵀ, db = Σ dY."""
        x, w = ctx.saved_arrays
        m = xp(g)
        N, C, H, W = x.shape
        OC = w.shape[0]
        need_x, need_w, need_b = ctx.needs_input_grad
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
