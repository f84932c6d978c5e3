"""Depthwise 3×3 convolution at stride 1 (dilation 1, padding at most 2) and its gradients,
one plane at a time with the nine taps unrolled, so that each output row is one pass that
keeps its sum in registers:

    y[oy, t] = Σᵢⱼ w[i, j] · x_pad[oy + i, t + j]

- forward: one (image, output channel) plane per iteration of a parallel loop, copied
  zero-padded into a buffer first.
- input gradient: dX is the full correlation of dY, padded by 2 − padding, with
  the kernel turned 180°, summed over the m output channels of each input channel: the
  forward's row loop on the padded dY.
- weight gradient: dW[i, j] = Σ dY[oy, t] · x_pad[oy + i, t + j]. Each image's
  planes, dY's laid "wide" (rows Wp apart, zeros between), make each tap one long dot
  product, three taps a pass. Each thread walks its run of images through every channel in
  memory order, its sums in one of GRAD_WEIGHT_SLOTS slots, the slots added in order.

Copies go through slice assignments: a loop writing buf[base + t] with a signed base pays
a negative-index check per element and does not vectorise.

The junk that the gradients' padding and wide rows add meets real values: an inf or a NaN
there would make 0 · inf = NaN in taps or pixels that never meet it in the convolution, so
depthwise.py leaves weights (input gradient) or inputs (weight gradient) holding one to the
reference form.
"""
import numpy as np
from numba import njit, prange

from ._windows import dot3, slot_share

# The input gradient's full correlation pads dY by 2 − padding: padding at most 2.
MAX_PADDING = 2
# Slots of the weight gradient's sums: a fixed number, so the order of the sums does not
# depend on the threads.
GRAD_WEIGHT_SLOTS = 16


@njit(inline="always")
def _fill(buf, src, ph, pw):
    """buf (Hp, Wp) ← src (H, W) at (iy + ph, ix + pw); the padding keeps what buf held
    (zeros, where only this fills it)."""
    H, W = src.shape
    for iy in range(H):
        buf[iy + ph, pw:pw + W] = src[iy]


@njit(inline="always")
def _rows(buf, k, dst, accumulate):
    """dst (oh, ow) = (or +=, when `accumulate`) Σᵢⱼ k[3i + j] · buf[oy + i, t + j]: each tap
    reads whole rows of buf from a constant offset, which LLVM vectorises."""
    oh, ow = dst.shape
    for oy in range(oh):
        a, b, c = buf[oy], buf[oy + 1], buf[oy + 2]
        d = dst[oy]
        if accumulate:
            for t in range(ow):
                d[t] += (k[0] * a[t] + k[1] * a[t + 1] + k[2] * a[t + 2]
                         + k[3] * b[t] + k[4] * b[t + 1] + k[5] * b[t + 2]
                         + k[6] * c[t] + k[7] * c[t + 1] + k[8] * c[t + 2])
        else:
            for t in range(ow):
                d[t] = (k[0] * a[t] + k[1] * a[t + 1] + k[2] * a[t + 2]
                        + k[3] * b[t] + k[4] * b[t + 1] + k[5] * b[t + 2]
                        + k[6] * c[t] + k[7] * c[t + 1] + k[8] * c[t + 2])


@njit(inline="always")
def _kernel(w, o, flipped):
    """Output channel o's nine taps, row by row, as a tuple (turned 180° when `flipped`)."""
    k = w[o, 0]
    if flipped:
        return (k[2, 2], k[2, 1], k[2, 0], k[1, 2], k[1, 1], k[1, 0], k[0, 2], k[0, 1], k[0, 0])
    return (k[0, 0], k[0, 1], k[0, 2], k[1, 0], k[1, 1], k[1, 2], k[2, 0], k[2, 1], k[2, 2])


@njit(parallel=True, cache=True, fastmath={"contract"})
def _forward(x, w, y, ph, pw):
    # x (N, C, H, W), w (C·m, 1, 3, 3), y (N, C·m, oh, ow)
    N, C, H, W = x.shape
    OC = w.shape[0]
    m = OC // C
    for no in prange(N * OC):
        n = no // OC
        o = no - n * OC
        buf = np.zeros((H + 2 * ph, W + 2 * pw), dtype=x.dtype)         # (Hp, Wp)
        _fill(buf, x[n, o // m], ph, pw)
        _rows(buf, _kernel(w, o, False), y[n, o], False)


@njit(parallel=True, cache=True, fastmath={"contract"})
def _grad_input(g, w, dx, ph, pw):
    # g (N, C·m, oh, ow), w (C·m, 1, 3, 3), dx (N, C, H, W)
    N, C, H, W = dx.shape
    m = w.shape[0] // C
    oh, ow = g.shape[2], g.shape[3]
    qh, qw = 2 - ph, 2 - pw                                             # dY's padding
    for nc in prange(N * C):
        n = nc // C
        c = nc - n * C
        buf = np.zeros((oh + 2 * qh, ow + 2 * qw), dtype=g.dtype)       # (H + 2, W + 2)
        for o in range(c * m, c * m + m):
            _fill(buf, g[n, o], qh, qw)
            _rows(buf, _kernel(w, o, True), dx[n, c], o > c * m)


@njit(parallel=True, cache=True, fastmath={"reassoc"})
def _grad_weight(x, g, dw, ph, pw, slots):
    # x (N, C, H, W), g (N, C·m, oh, ow), dw (C·m, 1, 3, 3). reassoc lets the dot products
    # vectorise (only the order of their sums moves)
    N, C, H, W = x.shape
    OC = dw.shape[0]
    m = OC // C
    oh, ow = g.shape[2], g.shape[3]
    Wp = W + 2 * pw
    L = (oh - 1) * Wp + ow                               # dY's plane laid wide
    partial = np.zeros((slots, OC, 9))                 # float64 sums per slot of images
    zero = x.dtype.type(0)                             # each plane's sums in x's dtype
    for slot in prange(slots):
        pad = np.zeros((H + 2 * ph) * Wp, dtype=x.dtype)    # x's plane padded, flat
        wide = np.zeros(L, dtype=x.dtype)                    # zeros between the rows
        lo, hi = slot_share(slot, slots, N)
        for n in range(lo, hi):
            for o in range(OC):
                if o % m == 0:                          # the m outputs of one input channel
                    src = x[n, o // m]
                    for iy in range(H):
                        start = (iy + ph) * Wp + pw
                        pad[start:start + W] = src[iy]
                dy = g[n, o]
                for oy in range(oh):
                    wide[oy * Wp:oy * Wp + ow] = dy[oy]
                sums = partial[slot, o]
                for i in range(3):
                    s0, s1, s2 = dot3(wide, pad[i * Wp:i * Wp + L],
                                      pad[i * Wp + 1:i * Wp + 1 + L],
                                      pad[i * Wp + 2:i * Wp + 2 + L], zero)
                    sums[3 * i] += s0
                    sums[3 * i + 1] += s1
                    sums[3 * i + 2] += s2
    for o in prange(OC):
        for k in range(9):
            total = 0.0
            for slot in range(slots):                   # in slot order, whatever the threads
                total += partial[slot, o, k]
            dw[o, 0, k // 3, k % 3] = total


def applies(kernel, stride, padding, dilation):
    """Whether a depthwise convolution takes these loops: a 3×3 kernel, stride 1, dilation
    1 and padding at most 2 (strided ones run faster in depthwise.py's phase planes)."""
    return (tuple(kernel) == (3, 3) and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1)
            and max(padding) <= MAX_PADDING)


def forward(x, w, y, padding):
    """y (N, C·m, oh, ow) ← x (N, C, H, W) convolved with w (C·m, 1, 3, 3); C-contiguous."""
    _forward(x, w, y, *padding)
    return y


def grad_input(g, w, dx, padding):
    """dx (N, C, H, W) ← dL/dx from g (N, C·m, oh, ow); C-contiguous."""
    _grad_input(g, w, dx, *padding)
    return dx


def grad_weight(x, g, dw, padding):
    """dw (C·m, 1, 3, 3) ← dL/dw from x and g; C-contiguous."""
    _grad_weight(x, g, dw, *padding, min(x.shape[0], GRAD_WEIGHT_SLOTS))
    return dw
