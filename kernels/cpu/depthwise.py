"""Direct depthwise convolution and its gradients as parallel Numba loops.

Output channel o reads input channel c = o // m (m = OC / C). Every loop works on one
channel of a group of images at a time, in flat buffers where each tap of the kernel is
one long contiguous loop (so that small maps, MobileNet's 4×4 and 2×2, still give long
loops):

- The group's planes of the channel, zero-padded (Hp × Wp), are split into the sh·sw
  phases of the stride: phase (r, c) holds the padded pixels (a·sh + r, e·sw + c) at
  (a, e), each phase plane Hq × Wq (Hq = ⌈Hp / sh⌉, Wq = ⌈Wp / sw⌉), the group's planes
  Hq rows apart. With stride 1 there is one phase: the padded planes themselves.
- The output is computed "wide": rows of Wq, Hq rows per image; the columns past ow and
  rows past oh are junk that is never copied out.
- Tap (i, j) reads phase ((i·dh) mod sh, (j·dw) mod sw) shifted by (⌊i·dh / sh⌋,
  ⌊j·dw / sw⌋): ``wide[k] += w[i, j] · phase[k + shift]``, a unit-stride loop whatever
  the stride.

Small maps with many channels go to depthwise_channels_last.py instead, and 3×3 kernels at
stride 1 to depthwise3x3.py, whose loops unroll the nine taps.

The forward pass owns one (group, o) output block per iteration, the input gradient one
(group, c) input block (it gathers the m output channels of c); no two iterations write
the same element. The weight gradient sums each group's products in one of
GRAD_WEIGHT_SLOTS slots, and the slots in order at the end, so that every group is read
through all its channels in memory order: walked output channel by output channel, most of
its time would go to copying planes a whole image apart.

The zeros of the wide buffers' junk meet the weights (input gradient) and the input's
planes (weight gradient) too: an inf or a NaN there would make 0 · inf = NaN in pixels or
taps that never meet it in the convolution. Gradients whose weights, or whose input, hold one
are left to the reference form, which forms only the convolution's own products.
"""
import math

import numpy as np
from numba import njit, prange

from ..reference import depthwise as reference
from ..shapes import conv_output_shape, pair
from . import depthwise3x3
from . import depthwise_channels_last as channels_last
from ._windows import as_c, dot3, slot_share
from .max_abs import max_abs

# Images per buffer: as many as keep one channel's padded planes near this many pixels
# (about 16 KiB of float32), so that the buffer stays in L1 while every tap sweeps it.
STACK_ELEMENTS = 4096
# With at least CHANNELS_LAST_MIN_CHANNELS channels and one output channel per input channel,
# maps of at most this many pixels go to depthwise_channels_last.py, whose loops run along
# the channels where these planes are too short to give long loops; at stride 1 the 3×3
# forward and input gradient stay with depthwise3x3.py's unrolled rows, which run faster
# there down to 4×4 maps (benchmarks/NOTES.md).
CHANNELS_LAST_MAX_PIXELS = 64
CHANNELS_LAST_MIN_CHANNELS = 64
# ... and strided windows on maps of at most this many pixels (MobileNet's 3×3/2 from 28²
# down): the phase planes' per-channel setup outweighs their short rows there (at 56² the
# forward measured faster in phase planes, the gradients channels last).
STRIDED_CHANNELS_LAST_MAX_PIXELS = 32 * 32
# The weight gradient walks the batch in groups of images, each group through every channel
# in memory order, with its sums in one of this many slots (a fixed number, so the order
# of the sums does not depend on the threads).
GRAD_WEIGHT_SLOTS = 16


@njit(cache=True)
def _axpy(y, a, x):
    """y += a · x over two equally long rows."""
    for t in range(y.shape[0]):
        y[t] += a * x[t]


@njit(cache=True)
def _axpy3(y, a0, x0, a1, x1, a2, x2):
    """y += a0 · x0 + a1 · x1 + a2 · x2 over equally long rows: three taps per pass over y."""
    for t in range(y.shape[0]):
        y[t] += a0 * x0[t] + a1 * x1[t] + a2 * x2[t]


@njit(cache=True)
def _copy_phases(planes, phases, ph, pw, sh, sw, Hq, Wq, into_phases):
    """Copy between the (B, H, W) `planes` and their zero-padded phase planes `phases`
    (flat, sh·sw blocks of B·Hq·Wq): into `phases` when `into_phases`, else out of them
    (the padding dropped)."""
    B, H, W = planes.shape
    block = B * Hq * Wq
    if sh == 1 and sw == 1:                     # one phase: the padded planes, row by row
        for b in range(B):
            for iy in range(H):
                seg = phases[(b * Hq + iy + ph) * Wq + pw:(b * Hq + iy + ph) * Wq + pw + W]
                row = planes[b, iy]
                for t in range(W):
                    if into_phases:
                        seg[t] = row[t]
                    else:
                        row[t] = seg[t]
        return
    for c in range(sw):                         # image columns ix = e·sw + c − pw
        e0 = max(0, (pw - c + sw - 1) // sw)
        e1 = (W + pw - c + sw - 1) // sw
        first = e0 * sw + c - pw
        for b in range(B):
            r, a = ph % sh, ph // sh            # padded row iy + ph = a·sh + r
            for iy in range(H):
                start = (r * sw + c) * block + (b * Hq + a) * Wq
                seg = phases[start + e0:start + e1]
                row = planes[b, iy]
                if into_phases and sw == 1:     # explicit loops: a slice copy costs
                    for e in range(e1 - e0):    # more than a row of a small map
                        seg[e] = row[first + e]
                elif into_phases:
                    for e in range(e1 - e0):
                        seg[e] = row[first + e * sw]
                elif sw == 1:
                    for e in range(e1 - e0):
                        row[first + e] = seg[e]
                else:
                    for e in range(e1 - e0):
                        row[first + e * sw] = seg[e]
                r += 1
                if r == sh:
                    r = 0
                    a += 1


@njit(cache=True)
def _phase_stack(planes, ph, pw, sh, sw, Hq, Wq):
    """The (B, H, W) planes zero-padded and split into phases: flat, sh·sw blocks of B·Hq·Wq
    (flat, so that every slice of it is known to be contiguous and its loops vectorise)."""
    phases = np.zeros(sh * sw * planes.shape[0] * Hq * Wq, dtype=planes.dtype)
    _copy_phases(planes, phases, ph, pw, sh, sw, Hq, Wq, True)
    return phases


@njit(cache=True)
def _wide_zeros(B, oh, ow, Hq, Wq, dtype):
    """A zeroed wide buffer for B planes of (oh, ow): rows of Wq, Hq rows apart, cut after
    the last plane's ow entries: ((B − 1)·Hq + oh − 1)·Wq + ow."""
    return np.zeros(((B - 1) * Hq + oh - 1) * Wq + ow, dtype=dtype)


@njit(cache=True)
def _fill_wide(planes, wide, Hq, Wq):
    """Copy the (B, oh, ow) planes into their rows of the wide buffer; the junk between them
    is left as it is (zero in a buffer from _wide_zeros that only this fills)."""
    B, oh, ow = planes.shape
    for b in range(B):
        for oy in range(oh):
            seg = wide[(b * Hq + oy) * Wq:(b * Hq + oy) * Wq + ow]
            row = planes[b, oy]
            for t in range(ow):
                seg[t] = row[t]


@njit(cache=True)
def _tap(phases, i, j, sh, sw, dh, dw, Wq, L):
    """The L entries of the phase plane that tap (i, j) reads, from its shift on."""
    ry, rx = i * dh, j * dw
    start = ((ry % sh) * sw + rx % sw) * (phases.shape[0] // (sh * sw))
    start += (ry // sh) * Wq + rx // sw
    return phases[start:start + L]


@njit(cache=True)
def _wide_taps(wide, phases, wk, sh, sw, dh, dw, Wq, transpose):
    """Every tap of `wk` as one long loop: wide += wk[i, j] · its phase plane shifted or,
    when `transpose`, that shifted phase plane += wk[i, j] · wide."""
    kh, kw = wk.shape
    L = wide.shape[0]
    for i in range(kh):
        j = 0
        while not transpose and j + 3 <= kw:            # gathering: three taps a pass
            _axpy3(wide, wk[i, j], _tap(phases, i, j, sh, sw, dh, dw, Wq, L),
                   wk[i, j + 1], _tap(phases, i, j + 1, sh, sw, dh, dw, Wq, L),
                   wk[i, j + 2], _tap(phases, i, j + 2, sh, sw, dh, dw, Wq, L))
            j += 3
        for j in range(j, kw):
            src = _tap(phases, i, j, sh, sw, dh, dw, Wq, L)
            if transpose:
                _axpy(src, wk[i, j], wide)
            else:
                _axpy(wide, wk[i, j], src)


@njit(parallel=True, cache=True)
def _forward(x, w, y, sh, sw, ph, pw, dh, dw, B):
    N, C, H, W = x.shape
    OC = w.shape[0]
    oh, ow = y.shape[2], y.shape[3]
    m = OC // C
    Hq, Wq = (H + 2 * ph + sh - 1) // sh, (W + 2 * pw + sw - 1) // sw
    groups = (N + B - 1) // B
    for go in prange(groups * OC):                      # B images of one channel each
        g = go // OC
        o = go - g * OC
        n0, n1 = g * B, min(N, g * B + B)
        phases = _phase_stack(x[n0:n1, o // m], ph, pw, sh, sw, Hq, Wq)
        wide = np.zeros(((n1 - n0 - 1) * Hq + oh - 1) * Wq + ow, dtype=x.dtype)
        _wide_taps(wide, phases, w[o, 0], sh, sw, dh, dw, Wq, False)
        for n in range(n0, n1):                         # drop the junk rows and columns
            for oy in range(oh):
                seg = wide[((n - n0) * Hq + oy) * Wq:((n - n0) * Hq + oy) * Wq + ow]
                row = y[n, o, oy]
                for t in range(ow):
                    row[t] = seg[t]


@njit(parallel=True, cache=True)
def _grad_input(g, w, dx, sh, sw, ph, pw, dh, dw, B):
    N, C, H, W = dx.shape
    OC = w.shape[0]
    m = OC // C
    Hq, Wq = (H + 2 * ph + sh - 1) // sh, (W + 2 * pw + sw - 1) // sw
    groups = (N + B - 1) // B
    for gc in prange(groups * C):
        b = gc // C
        c = gc - b * C
        n0, n1 = b * B, min(N, b * B + B)
        phases = np.zeros(sh * sw * (n1 - n0) * Hq * Wq, dtype=dx.dtype)
        for o in range(c * m, c * m + m):
            wide = _wide_zeros(n1 - n0, g.shape[2], g.shape[3], Hq, Wq, g.dtype)
            _fill_wide(g[n0:n1, o], wide, Hq, Wq)       # zeros in the junk
            _wide_taps(wide, phases, w[o, 0], sh, sw, dh, dw, Wq, True)
        _copy_phases(dx[n0:n1, c], phases, ph, pw, sh, sw, Hq, Wq, False)


@njit(parallel=True, cache=True, fastmath={"reassoc"})
def _grad_weight(x, g, dw_out, sh, sw, ph, pw, dh, dw, B):
    # reassoc lets LLVM vectorise the float64 dot products (only the order of the sums moves)
    N, C, H, W = x.shape
    OC, _, kh, kw = dw_out.shape
    m = OC // C
    Hq, Wq = (H + 2 * ph + sh - 1) // sh, (W + 2 * pw + sw - 1) // sw
    oh, ow = g.shape[2], g.shape[3]
    groups = (N + B - 1) // B
    slots = min(groups, GRAD_WEIGHT_SLOTS)
    partial = np.zeros((slots, OC, kh * kw))           # float64 sums per slot of groups
    for slot in prange(slots):
        lo, hi = slot_share(slot, slots, groups)
        for b in range(lo, hi):
            n0, n1 = b * B, min(N, b * B + B)
            phases = np.zeros(sh * sw * (n1 - n0) * Hq * Wq, dtype=x.dtype)  # padding: 0
            wide = _wide_zeros(n1 - n0, oh, ow, Hq, Wq, x.dtype)             # junk: 0
            L = wide.shape[0]
            for o in range(OC):
                if o % m == 0:                          # the m outputs of one input channel
                    _copy_phases(x[n0:n1, o // m], phases, ph, pw, sh, sw, Hq, Wq, True)
                _fill_wide(g[n0:n1, o], wide, Hq, Wq)
                sums = partial[slot, o]
                for i in range(kh):
                    j = 0
                    while j + 3 <= kw:                  # three taps a pass over wide
                        s0, s1, s2 = dot3(wide, _tap(phases, i, j, sh, sw, dh, dw, Wq, L),
                                          _tap(phases, i, j + 1, sh, sw, dh, dw, Wq, L),
                                          _tap(phases, i, j + 2, sh, sw, dh, dw, Wq, L), 0.0)
                        sums[i * kw + j] += s0
                        sums[i * kw + j + 1] += s1
                        sums[i * kw + j + 2] += s2
                        j += 3
                    for j in range(j, kw):
                        src = _tap(phases, i, j, sh, sw, dh, dw, Wq, L)
                        total = 0.0
                        for t in range(L):
                            total += wide[t] * src[t]
                        sums[i * kw + j] += total
    for o in prange(OC):
        for k in range(kh * kw):
            total = 0.0
            for slot in range(slots):                   # in slot order, whatever the threads
                total += partial[slot, o, k]
            dw_out[o, 0, k // kw, k % kw] = total


def _operands(a, b):
    """Both as C-contiguous arrays of a's dtype."""
    a = as_c(a)
    return a, as_c(b.astype(a.dtype, copy=False))


def _channels_last_applies(input_shape, out_channels, stride, unrolled_3x3=False):
    """Whether the channels-last kernels take a call on input of `input_shape`; an
    `unrolled_3x3` call (a forward or input gradient that depthwise3x3.py takes) keeps
    those kernels at stride 1."""
    N, C, H, W = input_shape
    if out_channels != C or C < CHANNELS_LAST_MIN_CHANNELS:
        return False
    if tuple(stride) != (1, 1):
        return H * W <= STRIDED_CHANNELS_LAST_MAX_PIXELS
    return not unrolled_3x3 and H * W <= CHANNELS_LAST_MAX_PIXELS


def _run(kernel, a, b, out, stride, padding, dilation, input_hw):
    """`out` filled by `kernel`, with as many images per buffer as STACK_ELEMENTS allows."""
    (sh, sw), (ph, pw), (dh, dw) = map(pair, (stride, padding, dilation))
    padded = (input_hw[0] + 2 * ph) * (input_hw[1] + 2 * pw)
    kernel(a, b, out, sh, sw, ph, pw, dh, dw, max(1, STACK_ELEMENTS // padded))
    return out


def depthwise_conv2d(x, weight, stride, padding, dilation):
    """x (N, C, H, W), weight (C*m, 1, kh, kw) -> y (N, C*m, oh, ow)."""
    x, weight = _operands(x, weight)
    N, C, H, W = x.shape
    OC, _, kh, kw = weight.shape
    oh, ow = conv_output_shape((H, W), (kh, kw), stride, padding, dilation)
    y = np.empty((N, OC, oh, ow), dtype=x.dtype)
    geometry = tuple(map(pair, (stride, padding, dilation)))
    unrolled = depthwise3x3.applies((kh, kw), *geometry)
    if _channels_last_applies(x.shape, OC, geometry[0], unrolled):
        return channels_last.forward(x, weight, y, *geometry)
    if unrolled:
        return depthwise3x3.forward(x, weight, y, pair(padding))
    return _run(_forward, x, weight, y, stride, padding, dilation, (H, W))


def depthwise_conv2d_grad_input(grad_out, weight, input_shape, stride, padding, dilation):
    """dL/dx (N, C, H, W) from grad_out (N, C*m, oh, ow)."""
    grad_out, weight = _operands(grad_out, weight)
    dx = np.empty(tuple(map(int, input_shape)), dtype=grad_out.dtype)
    geometry = tuple(map(pair, (stride, padding, dilation)))
    unrolled = depthwise3x3.applies(weight.shape[2:], *geometry)
    if _channels_last_applies(dx.shape, weight.shape[0], geometry[0], unrolled):
        return channels_last.grad_input(grad_out, weight, dx, *geometry)
    if not math.isfinite(max_abs(weight)):                         # junk zeros times inf
        return reference.depthwise_conv2d_grad_input(grad_out, weight, input_shape, stride,
                                                     padding, dilation)
    if unrolled:
        return depthwise3x3.grad_input(grad_out, weight, dx, pair(padding))
    return _run(_grad_input, grad_out, weight, dx, stride, padding, dilation, dx.shape[2:])


def depthwise_conv2d_grad_weight(x, grad_out, weight_shape, stride, padding, dilation):
    """dL/dw (C*m, 1, kh, kw) from x (N, C, H, W) and grad_out (N, C*m, oh, ow)."""
    x, grad_out = _operands(x, grad_out)
    dw_out = np.empty(tuple(map(int, weight_shape)), dtype=x.dtype)
    if _channels_last_applies(x.shape, dw_out.shape[0], pair(stride)):
        return channels_last.grad_weight(x, grad_out, dw_out,
                                         *map(pair, (stride, padding, dilation)))
    if not math.isfinite(max_abs(x)):                              # junk zeros times inf
        return reference.depthwise_conv2d_grad_weight(x, grad_out, weight_shape, stride,
                                                      padding, dilation)
    if depthwise3x3.applies(dw_out.shape[2:], *map(pair, (stride, padding, dilation))):
        return depthwise3x3.grad_weight(x, grad_out, dw_out, pair(padding))
    return _run(_grad_weight, x, grad_out, dw_out, stride, padding, dilation, x.shape[2:])
