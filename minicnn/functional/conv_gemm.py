"""The im2col + GEMM pieces below every conv2d path: a batch chunk's columns and their
inverse, and conv2d's gradients through them. Conv2dGemm (conv.py) takes its gradients
here, and so does the Winograd path (conv_winograd.py) where a gradient's values would
overflow its transforms or carry an inf or a NaN from one output into its neighbours.
"""
import math

from .. import kernels
from ..threads import ThreadSums
from ._common import xp
from .workspace import over_batch_chunks


# Columns (output pixels of the chunk's images) a chunk's GEMM should have at least: deep
# layers with small maps would otherwise get thin GEMMs (see conv_winograd.MIN_GEMM_ROWS).
MIN_GEMM_COLUMNS = 512


def _is_identity_window(kernel_size, stride, padding, dilation):
    """A 1×1 window, stride 1, no padding: im2col would only reshape the input."""
    return kernel_size == (1, 1) and stride == (1, 1) and padding == (0, 0)


def _channels_first(a):
    """(n, C, *spatial) -> (C, n, P), contiguous: one copy whatever `a`'s strides (a strided
    view such as a 1×1/2 convolution's input included); no copy for a contiguous single
    image."""
    n, C = a.shape[:2]
    P = math.prod(a.shape[2:])                          # not -1: ambiguous on an empty batch
    return xp(a).ascontiguousarray(a.swapaxes(0, 1)).reshape(C, n, P)


def _batch_first(a, shape):
    """(C, n·P) -> (n, C, *spatial) of `shape`, a view."""
    n, C = shape[:2]
    return a.reshape((C, n) + tuple(shape[2:])).swapaxes(0, 1)


def _columns(x, kernel_size, stride, padding, dilation):
    """im2col, or for the pointwise case the input itself."""  # (C*kh*kw, n, oh*ow)
    if _is_identity_window(kernel_size, stride, padding, dilation):
        return _channels_first(x)
    return kernels.get("im2col", x)(x, kernel_size, stride, padding, dilation)


def _uncolumns(cols, shape, kernel_size, stride, padding, dilation):
    """col2im, or for the pointwise case a view."""  # (C*kh*kw, n, oh*ow) -> (n, C, H, W)
    if _is_identity_window(kernel_size, stride, padding, dilation):
        return _batch_first(cols, shape)
    return kernels.get("col2im", cols)(cols, shape, kernel_size, stride, padding, dilation)


def gemm_grads(x, w, g, window, G, needs_input_grad):
    """(dX, dW, db) of y = conv2d(x, w, b) with `window` = (kernel_size, stride, padding,
    dilation) and G groups, for dY = g and the inputs that `needs_input_grad` names:
    dW = dY · colsᵀ (over every image at once), dX = col2im(Wᵀ · dY), db = Σ dY."""
    m = xp(g)
    N, C, H, W = x.shape
    OC = w.shape[0]
    K = w[0].size
    P = g.shape[2] * g.shape[3]
    wg = w.reshape(G, OC // G, K)                                  # (G, OCg, K)
    need_x, need_w, need_b = needs_input_grad
    dx = m.empty_like(x) if need_x else None
    dw = ThreadSums(lambda: m.empty((G, OC // G, K), dtype=w.dtype))

    def grads(part):
        gy = _channels_first(g[part])                              # (OC, n, P)
        n = gy.shape[1]
        gy = gy.reshape(G, OC // G, n * P)                         # (G, OCg, n*P)
        if need_w:
            cols = _columns(x[part], *window).reshape(G, K, n * P)  # (G, K, n*P)
            dw.add(lambda out: m.matmul(gy, cols.swapaxes(1, 2), out=out))
        if need_x:
            dcols = m.matmul(wg.swapaxes(1, 2), gy)                 # (G, K, n*P)
            dx[part] = _uncolumns(dcols.reshape(G * K, n, P), (n, C, H, W), *window)

    over_batch_chunks(m, grads, N, G * K * P * x.itemsize, -(-MIN_GEMM_COLUMNS // P))
    db = g.sum(axis=(0, 2, 3)) if need_b else None
    return dx, (dw.total().reshape(w.shape) if need_w else None), db
