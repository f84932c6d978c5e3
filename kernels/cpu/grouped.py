"""Direct grouped convolution and its gradients as parallel Numba loops, for groups of
few channels, where im2col + GEMM would multiply many thin matrices (ResNeXt's 32 groups
of 4 channels: GEMMs of 4 rows and 36 columns per group).

The buffers are depthwise.py's (read its docstring): each iteration of the parallel loop
owns one (block of images, group) and splits the group's Cg input channels of those images
into zero-padded phase planes once; outputs are computed "wide", and the kernel tap (i, j)
of channel c is one contiguous slice of c's phase planes, a "source" of length L.

The inner loops are register blocks: _fma4x4, four rows y_q += Σ_r a[q, r] · x_r over four
rows x_r, each x read once for four y (the per-tap loops of depthwise.py read and write y
once for every tap), and _dot4x4, sixteen dot products of four rows with four. A group's
products are cut into such blocks:

- forward: y = four output channels' wide rows, x = four (channel, tap) sources, a = their
  weights; the Cg·kh·kw sources are padded to a multiple of four with a zero source.
- input gradient: per tap, y = that tap's source in four input channels' phase planes,
  x = four output channels' wide gradient rows; channels past Cg are scratch planes and
  rows past OCg zeros.
- weight gradient: _dot4x4, the sixteen dot products of four wide gradient rows with four
  (channel, tap) sources, each over one block of images in the arrays' dtype, added in
  float64 into one of GRAD_WEIGHT_SLOTS slots, and the slots in order at the end (float64
  within a block would run at half the vector width).

As in depthwise.py, the zeros of the wide buffers' junk meet the weights (input gradient)
and the input's planes (weight gradient): gradients whose weights, or whose input, hold an
inf or a NaN are left to the reference form.
"""
import math

import numpy as np
from numba import njit, prange

from ..reference import grouped as reference
from ..shapes import conv_output_shape, pair
from .depthwise import GRAD_WEIGHT_SLOTS, STACK_ELEMENTS, _copy_phases, _fill_wide, _operands
from ._windows import slot_share
from .max_abs import max_abs

# Rows of y and of x in one register block.
BLOCK = 4


@njit(cache=True)
def _fma4x4(y0, y1, y2, y3, a, x0, x1, x2, x3):
    """y_q += Σ_r a[q, r] · x_r over equally long rows, q, r < 4: each x read once for four
    rows of y, the sixteen weights in registers."""
    a00, a01, a02, a03 = a[0, 0], a[0, 1], a[0, 2], a[0, 3]
    a10, a11, a12, a13 = a[1, 0], a[1, 1], a[1, 2], a[1, 3]
    a20, a21, a22, a23 = a[2, 0], a[2, 1], a[2, 2], a[2, 3]
    a30, a31, a32, a33 = a[3, 0], a[3, 1], a[3, 2], a[3, 3]
    for t in range(y0.shape[0]):
        u0, u1, u2, u3 = x0[t], x1[t], x2[t], x3[t]
        y0[t] += a00 * u0 + a01 * u1 + a02 * u2 + a03 * u3
        y1[t] += a10 * u0 + a11 * u1 + a12 * u2 + a13 * u3
        y2[t] += a20 * u0 + a21 * u1 + a22 * u2 + a23 * u3
        y3[t] += a30 * u0 + a31 * u1 + a32 * u2 + a33 * u3


@njit(cache=True, fastmath={"reassoc"})
def _dot4x4(sums, y0, y1, y2, y3, x0, x1, x2, x3):
    """sums[q, r] += y_q · x_r over equally long rows, q, r < 4: each dot product in the
    rows' dtype (reassoc lets LLVM vectorise it: only the order of the sums moves), then
    added to `sums`."""
    zero = np.zeros(1, dtype=y0.dtype)[0]
    s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = zero
    s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = zero
    for t in range(y0.shape[0]):
        v0, v1, v2, v3 = y0[t], y1[t], y2[t], y3[t]
        u0, u1, u2, u3 = x0[t], x1[t], x2[t], x3[t]
        s00 += v0 * u0
        s01 += v0 * u1
        s02 += v0 * u2
        s03 += v0 * u3
        s10 += v1 * u0
        s11 += v1 * u1
        s12 += v1 * u2
        s13 += v1 * u3
        s20 += v2 * u0
        s21 += v2 * u1
        s22 += v2 * u2
        s23 += v2 * u3
        s30 += v3 * u0
        s31 += v3 * u1
        s32 += v3 * u2
        s33 += v3 * u3
    sums[0, 0] += s00
    sums[0, 1] += s01
    sums[0, 2] += s02
    sums[0, 3] += s03
    sums[1, 0] += s10
    sums[1, 1] += s11
    sums[1, 2] += s12
    sums[1, 3] += s13
    sums[2, 0] += s20
    sums[2, 1] += s21
    sums[2, 2] += s22
    sums[2, 3] += s23
    sums[3, 0] += s30
    sums[3, 1] += s31
    sums[3, 2] += s32
    sums[3, 3] += s33


@njit(cache=True)
def _rounded(n):
    """n rounded up to a multiple of BLOCK."""
    return (n + BLOCK - 1) // BLOCK * BLOCK


@njit(cache=True)
def _tap_start(i, j, sh, sw, dh, dw, Hq, Wq, B):
    """Where the source of tap (i, j) starts in a channel's phase planes (B images)."""
    ry, rx = i * dh, j * dw
    return ((ry % sh) * sw + rx % sw) * B * Hq * Wq + (ry // sh) * Wq + rx // sw


@njit(cache=True)
def _group_phases(planes, channels, ph, pw, sh, sw, Hq, Wq, extra):
    """The (B, Cg, H, W) planes of one group, each channel zero-padded and split into phases
    as depthwise._phase_stack does: flat, `channels` ≥ Cg blocks of sh·sw·B·Hq·Wq (those past
    Cg zero), then `extra` zeros."""
    B, Cg = planes.shape[0], planes.shape[1]
    block = sh * sw * B * Hq * Wq
    phases = np.zeros(channels * block + extra, dtype=planes.dtype)
    for c in range(Cg):
        _copy_phases(planes[:, c], phases[c * block:(c + 1) * block], ph, pw, sh, sw, Hq, Wq,
                     True)
    return phases


@njit(cache=True)
def _sources(Cg, kh, kw, sh, sw, dh, dw, Hq, Wq, B):
    """Start of each (channel, tap) source, c·kh·kw + i·kw + j, in _group_phases' buffer,
    padded to a multiple of BLOCK with the start of its trailing zeros."""
    block = sh * sw * B * Hq * Wq
    starts = np.full(_rounded(Cg * kh * kw), Cg * block)
    for c in range(Cg):
        for i in range(kh):
            for j in range(kw):
                starts[(c * kh + i) * kw + j] = c * block + _tap_start(i, j, sh, sw, dh, dw,
                                                                       Hq, Wq, B)
    return starts


@njit(parallel=True, cache=True)
def _forward(x, w, y, G, sh, sw, ph, pw, dh, dw, B):
    N, C, H, W = x.shape
    OC, Cg, kh, kw = w.shape
    OCg = OC // G
    K = Cg * kh * kw
    oh, ow = y.shape[2], y.shape[3]
    Hq, Wq = (H + 2 * ph + sh - 1) // sh, (W + 2 * pw + sw - 1) // sw
    blocks = (N + B - 1) // B
    for bg in prange(blocks * G):                       # B images of one group each
        b = bg // G
        g = bg - b * G
        n0, n1 = b * B, min(N, b * B + B)
        L = ((n1 - n0 - 1) * Hq + oh - 1) * Wq + ow
        phases = _group_phases(x[n0:n1, g * Cg:g * Cg + Cg], Cg, ph, pw, sh, sw, Hq, Wq, L)
        s = _sources(Cg, kh, kw, sh, sw, dh, dw, Hq, Wq, n1 - n0)
        a = np.zeros((_rounded(OCg), s.shape[0]), dtype=x.dtype)
        a[:OCg, :K] = w[g * OCg:g * OCg + OCg].reshape(OCg, K)
        wide = np.zeros((a.shape[0], L), dtype=x.dtype)
        for k in range(0, a.shape[0], BLOCK):
            for p in range(0, s.shape[0], BLOCK):
                _fma4x4(wide[k], wide[k + 1], wide[k + 2], wide[k + 3], a[k:k + 4, p:p + 4],
                        phases[s[p]:s[p] + L], phases[s[p + 1]:s[p + 1] + L],
                        phases[s[p + 2]:s[p + 2] + L], phases[s[p + 3]:s[p + 3] + L])
        for k in range(OCg):                            # drop the junk rows and columns
            for n in range(n0, n1):
                for oy in range(oh):
                    seg = wide[k, ((n - n0) * Hq + oy) * Wq:((n - n0) * Hq + oy) * Wq + ow]
                    row = y[n, g * OCg + k, oy]
                    for t in range(ow):
                        row[t] = seg[t]


@njit(parallel=True, cache=True)
def _grad_input(g, w, dx, G, sh, sw, ph, pw, dh, dw, B):
    N, C, H, W = dx.shape
    OC, Cg, kh, kw = w.shape
    OCg = OC // G
    oh, ow = g.shape[2], g.shape[3]
    Hq, Wq = (H + 2 * ph + sh - 1) // sh, (W + 2 * pw + sw - 1) // sw
    blocks = (N + B - 1) // B
    for bg in prange(blocks * G):
        b = bg // G
        grp = bg - b * G
        n0, n1 = b * B, min(N, b * B + B)
        block = sh * sw * (n1 - n0) * Hq * Wq
        L = ((n1 - n0 - 1) * Hq + oh - 1) * Wq + ow
        phases = np.zeros(_rounded(Cg) * block, dtype=dx.dtype)  # channels past Cg: scratch
        a = np.zeros((kh, kw, _rounded(Cg), _rounded(OCg)), dtype=dx.dtype)
        for k in range(OCg):
            for c in range(Cg):
                a[:, :, c, k] = w[grp * OCg + k, c]
        wide = np.zeros((a.shape[3], L), dtype=g.dtype)          # junk and rows past OCg: 0
        for k in range(OCg):
            _fill_wide(g[n0:n1, grp * OCg + k], wide[k], Hq, Wq)
        for i in range(kh):
            for j in range(kw):
                t0 = _tap_start(i, j, sh, sw, dh, dw, Hq, Wq, n1 - n0)
                for c in range(0, a.shape[2], BLOCK):
                    for k in range(0, a.shape[3], BLOCK):
                        _fma4x4(phases[c * block + t0:c * block + t0 + L],
                                phases[(c + 1) * block + t0:(c + 1) * block + t0 + L],
                                phases[(c + 2) * block + t0:(c + 2) * block + t0 + L],
                                phases[(c + 3) * block + t0:(c + 3) * block + t0 + L],
                                a[i, j, c:c + 4, k:k + 4],
                                wide[k], wide[k + 1], wide[k + 2], wide[k + 3])
        for c in range(Cg):
            _copy_phases(dx[n0:n1, grp * Cg + c], phases[c * block:(c + 1) * block], ph, pw,
                         sh, sw, Hq, Wq, False)


@njit(parallel=True, cache=True)
def _grad_weight(x, g, dw_out, G, sh, sw, ph, pw, dh, dw, B):
    N, C, H, W = x.shape
    OC, Cg, kh, kw = dw_out.shape
    OCg = OC // G
    K = Cg * kh * kw
    Hq, Wq = (H + 2 * ph + sh - 1) // sh, (W + 2 * pw + sw - 1) // sw
    oh, ow = g.shape[2], g.shape[3]
    blocks = (N + B - 1) // B
    slots = min(blocks, GRAD_WEIGHT_SLOTS)
    partial = np.zeros((slots, G, _rounded(OCg), _rounded(K)))  # float64 sums per slot
    for slot in prange(slots):
        lo, hi = slot_share(slot, slots, blocks)
        for b in range(lo, hi):
            n0, n1 = b * B, min(N, b * B + B)
            L = ((n1 - n0 - 1) * Hq + oh - 1) * Wq + ow
            s = _sources(Cg, kh, kw, sh, sw, dh, dw, Hq, Wq, n1 - n0)
            wide = np.zeros((_rounded(OCg), L), dtype=x.dtype)  # junk and rows past OCg: 0
            for grp in range(G):
                phases = _group_phases(x[n0:n1, grp * Cg:grp * Cg + Cg], Cg, ph, pw, sh, sw,
                                       Hq, Wq, L)
                for k in range(OCg):
                    _fill_wide(g[n0:n1, grp * OCg + k], wide[k], Hq, Wq)
                for k in range(0, wide.shape[0], BLOCK):
                    for p in range(0, s.shape[0], BLOCK):
                        _dot4x4(partial[slot, grp, k:k + 4, p:p + 4],
                                wide[k], wide[k + 1], wide[k + 2], wide[k + 3],
                                phases[s[p]:s[p] + L], phases[s[p + 1]:s[p + 1] + L],
                                phases[s[p + 2]:s[p + 2] + L], phases[s[p + 3]:s[p + 3] + L])
    for o in prange(OC):
        grp, k = o // OCg, o % OCg
        for p in range(K):
            total = 0.0
            for slot in range(slots):                   # in slot order, whatever the threads
                total += partial[slot, grp, k, p]
            dw_out[o, p // (kh * kw), (p // kw) % kh, p % kw] = total


def _run(kernel, a, b, out, stride, padding, dilation, groups, input_hw, Cg):
    """`out` filled by `kernel`, with as many images per buffer as keep a group's Cg padded
    planes near STACK_ELEMENTS pixels."""
    (sh, sw), (ph, pw), (dh, dw) = map(pair, (stride, padding, dilation))
    padded = (input_hw[0] + 2 * ph) * (input_hw[1] + 2 * pw) * Cg
    kernel(a, b, out, groups, sh, sw, ph, pw, dh, dw, max(1, STACK_ELEMENTS // padded))
    return out


def grouped_conv2d(x, weight, stride, padding, dilation, groups):
    """x (N, C, H, W), weight (OC, C / groups, kh, kw) -> y (N, OC, oh, ow)."""
    x, weight = _operands(x, weight)
    N, C, H, W = x.shape
    OC, Cg, kh, kw = weight.shape
    oh, ow = conv_output_shape((H, W), (kh, kw), stride, padding, dilation)
    y = np.empty((N, OC, oh, ow), dtype=x.dtype)
    return _run(_forward, x, weight, y, stride, padding, dilation, groups, (H, W), Cg)


def grouped_conv2d_grad_input(grad_out, weight, input_shape, stride, padding, dilation,
                              groups):
    """dL/dx (N, C, H, W) from grad_out (N, OC, oh, ow)."""
    grad_out, weight = _operands(grad_out, weight)
    if not math.isfinite(max_abs(weight)):                         # junk zeros times inf
        return reference.grouped_conv2d_grad_input(grad_out, weight, input_shape, stride,
                                                   padding, dilation, groups)
    dx = np.empty(tuple(map(int, input_shape)), dtype=grad_out.dtype)
    return _run(_grad_input, grad_out, weight, dx, stride, padding, dilation, groups,
                dx.shape[2:], weight.shape[1])


def grouped_conv2d_grad_weight(x, grad_out, weight_shape, stride, padding, dilation, groups):
    """dL/dw (OC, C / groups, kh, kw) from x (N, C, H, W) and grad_out (N, OC, oh, ow)."""
    x, grad_out = _operands(x, grad_out)
    if not math.isfinite(max_abs(x)):                              # junk zeros times inf
        return reference.grouped_conv2d_grad_weight(x, grad_out, weight_shape, stride,
                                                    padding, dilation, groups)
    dw_out = np.empty(tuple(map(int, weight_shape)), dtype=x.dtype)
    return _run(_grad_weight, x, grad_out, dw_out, stride, padding, dilation, groups,
                x.shape[2:], dw_out.shape[1])
