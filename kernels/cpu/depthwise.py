"""Direct depthwise convolution and its gradients as parallel Numba loops.

Output channel o reads input channel c = o // m (m = OC / C). The forward pass owns one
(n, o) output plane per iteration, the input gradient one (n, c) input plane (it gathers
the m output channels of c), the weight gradient one output channel o; no two iterations
write the same element. Inner loops run along ow over (strided) row views indexed from 0
(an index that may be negative costs Numba a wraparound test in every iteration).

Stride (1, 1), the common case, takes a faster path, one channel of a group of images per
iteration: the channel's planes of those images are copied into one zero-padded buffer (each plane inside
its own border, width Wp = W + 2·pw, Hp = H + 2·ph rows apart), the output is computed
"wide" (rows of Wp, Hp rows per image; the columns past ow and rows past oh are junk
that is never copied out), and then every tap (i, j) is one long contiguous loop over the
group, ``wide[k] += w[i, j] · pad[k + i·dh·Wp + j·dw]``, so that small maps
(MobileNet's 4×4 and 2×2) still get long loops.
"""
import numpy as np
from numba import njit, prange

from ..shapes import conv_output_shape, pair
from ._windows import as_c, tap_range

# The unit-stride path stacks this many padded pixels of one channel (that many images'
# planes) per buffer: about 16 KiB of float32, so that it stays in L1 while every tap
# sweeps it, and small maps still give long loops.
STACK_ELEMENTS = 4096


@njit(cache=True)
def _axpy(y, a, x):
    """y += a · x over two equally long (possibly strided) rows."""
    for t in range(y.shape[0]):
        y[t] += a * x[t]


@njit(cache=True)
def _plane_taps(out, src, wk, sh, sw, ph, pw, dh, dw, transpose):
    """Every tap of kernel `wk` (kh, kw) between the (H, W) input plane `src` and the
    (oh, ow) output plane `out`: out[oy, ox] += wk[i, j] · src[iy, ix] or, when
    `transpose`, src[iy, ix] += wk[i, j] · out[oy, ox] (iy = oy·sh − ph + i·dh,
    ix = ox·sw − pw + j·dw, taps outside `src` skipped)."""
    H, W = src.shape
    oh, ow = out.shape
    kh, kw = wk.shape
    for oy in range(oh):
        for i in range(kh):
            iy = oy * sh - ph + i * dh
            if iy < 0 or iy >= H:
                continue
            for j in range(kw):
                off = j * dw - pw
                lo, hi = tap_range(off, sw, W, ow)  # outputs whose tap is inside
                if hi <= lo:
                    continue
                outs = out[oy, lo:hi]
                ins = src[iy, lo * sw + off:(hi - 1) * sw + off + 1:sw]
                if transpose:
                    _axpy(ins, wk[i, j], outs)
                else:
                    _axpy(outs, wk[i, j], ins)


@njit(parallel=True, cache=True)
def _forward(x, w, y, sh, sw, ph, pw, dh, dw):
    N, C, H, W = x.shape
    OC, _, kh, kw = w.shape
    oh, ow = y.shape[2], y.shape[3]
    m = OC // C
    for no in prange(N * OC):
        n = no // OC
        o = no - n * OC
        pad = np.zeros((H + 2 * ph, W + 2 * pw), dtype=x.dtype)   # the plane, zero-padded
        pad[ph:ph + H, pw:pw + W] = x[n, o // m]
        wk = w[o, 0]
        dst = y[n, o]                                   # (oh, ow)
        dst[:, :] = 0
        for i in range(kh):
            for j in range(kw):
                tap = wk[i, j]
                for oy in range(oh):                    # index loops: no per-row views
                    iy = oy * sh + i * dh
                    for ox in range(ow):
                        dst[oy, ox] += tap * pad[iy, ox * sw + j * dw]


@njit(parallel=True, cache=True)
def _grad_input(g, w, dx, sh, sw, ph, pw, dh, dw):
    N, C = dx.shape[0], dx.shape[1]
    OC = w.shape[0]
    m = OC // C
    for nc in prange(N * C):
        n = nc // C
        c = nc - n * C
        dst = dx[n, c]                                  # (H, W), owned by this iteration
        dst[:, :] = 0
        for o in range(c * m, c * m + m):
            _plane_taps(g[n, o], dst, w[o, 0], sh, sw, ph, pw, dh, dw, True)


@njit(parallel=True, cache=True, fastmath={"reassoc"})
def _grad_weight(x, g, dw_out, sh, sw, ph, pw, dh, dw):
    # reassoc lets LLVM vectorise the float64 dot products (only the order of the sums moves)
    N, C, H, W = x.shape
    OC, _, kh, kw = dw_out.shape
    oh, ow = g.shape[2], g.shape[3]
    m = OC // C
    for o in prange(OC):
        c = o // m
        for i in range(kh):
            for j in range(kw):
                off = j * dw - pw
                lo, hi = tap_range(off, sw, W, ow)
                acc = 0.0                               # float64 accumulator over N*oh*ow terms
                if hi > lo:
                    for n in range(N):
                        for oy in range(oh):
                            iy = oy * sh - ph + i * dh
                            if iy < 0 or iy >= H:
                                continue
                            grad = g[n, o, oy, lo:hi]
                            inp = x[n, c, iy, lo * sw + off:(hi - 1) * sw + off + 1:sw]
                            for t in range(hi - lo):
                                acc += grad[t] * inp[t]
                dw_out[o, 0, i, j] = acc


@njit(cache=True)
def _copy_rows(plane, flat, start, Wp, into_flat):
    """Copy between the (rows, cols) `plane` and the flat buffer `flat` holding its row r at
    flat[start + r·Wp:][:cols]: into `flat` when `into_flat`, else out of it."""
    rows, cols = plane.shape
    for r in range(rows):
        seg = flat[start + r * Wp:start + r * Wp + cols]
        row = plane[r]
        if into_flat:
            for t in range(cols):
                seg[t] = row[t]
        else:
            for t in range(cols):
                row[t] = seg[t]


@njit(cache=True)
def _padded_stack(planes, ph, pw):
    """The (N, H, W) planes, each inside a zero border, stacked and flattened: N·Hp·Wp
    (Hp = H + 2ph, Wp = W + 2pw)."""
    N, H, W = planes.shape
    Hp, Wp = H + 2 * ph, W + 2 * pw
    pad = np.zeros(N * Hp * Wp, dtype=planes.dtype)
    for n in range(N):
        _copy_rows(planes[n], pad, (n * Hp + ph) * Wp + pw, Wp, True)
    return pad


@njit(cache=True)
def _wide_stack(planes, Hp, Wp):
    """The (N, oh, ow) planes in rows of Wp, Hp rows apart (zeros between), flattened and
    cut after the last plane's ow entries: ((N − 1)·Hp + oh − 1)·Wp + ow."""
    N, oh, ow = planes.shape
    wide = np.zeros(((N - 1) * Hp + oh - 1) * Wp + ow, dtype=planes.dtype)
    for n in range(N):
        _copy_rows(planes[n], wide, n * Hp * Wp, Wp, True)
    return wide


@njit(cache=True)
def _wide_taps(wide, pad, wk, Wp, dh, dw, transpose):
    """Every tap of `wk` as one long loop between the wide output `wide` and the padded
    input `pad` (both flat, rows of Wp): wide += wk[i, j] · pad shifted by the tap or, when
    `transpose`, that shifted pad += wk[i, j] · wide."""
    L = wide.shape[0]
    kh, kw = wk.shape
    for i in range(kh):
        for j in range(kw):
            shifted = pad[i * dh * Wp + j * dw:i * dh * Wp + j * dw + L]
            if transpose:
                _axpy(shifted, wk[i, j], wide)
            else:
                _axpy(wide, wk[i, j], shifted)


@njit(parallel=True, cache=True)
def _forward_unit_stride(x, w, y, ph, pw, dh, dw, B):
    N, C, H, W = x.shape
    OC = w.shape[0]
    oh, ow = y.shape[2], y.shape[3]
    m = OC // C
    Hp, Wp = H + 2 * ph, W + 2 * pw
    groups = (N + B - 1) // B
    for bo in prange(groups * OC):                      # B images of one channel each
        b = bo // OC
        o = bo - b * OC
        n0, n1 = b * B, min(N, b * B + B)
        pad = _padded_stack(x[n0:n1, o // m], ph, pw)   # ((n1-n0) * Hp * Wp,)
        wide = np.zeros(((n1 - n0 - 1) * Hp + oh - 1) * Wp + ow, dtype=x.dtype)
        _wide_taps(wide, pad, w[o, 0], Wp, dh, dw, False)
        for n in range(n0, n1):                         # drop the junk rows and columns
            _copy_rows(y[n, o], wide, (n - n0) * Hp * Wp, Wp, False)


@njit(parallel=True, cache=True)
def _grad_input_unit_stride(g, w, dx, ph, pw, dh, dw, B):
    N, C, H, W = dx.shape
    OC = w.shape[0]
    m = OC // C
    Hp, Wp = H + 2 * ph, W + 2 * pw
    groups = (N + B - 1) // B
    for bc in prange(groups * C):
        b = bc // C
        c = bc - b * C
        n0, n1 = b * B, min(N, b * B + B)
        pad = np.zeros((n1 - n0) * Hp * Wp, dtype=dx.dtype)   # dx with borders
        for o in range(c * m, c * m + m):
            wide = _wide_stack(g[n0:n1, o], Hp, Wp)     # zeros in the junk
            _wide_taps(wide, pad, w[o, 0], Wp, dh, dw, True)
        for n in range(n0, n1):                         # drop the borders
            _copy_rows(dx[n, c], pad, ((n - n0) * Hp + ph) * Wp + pw, Wp, False)


@njit(parallel=True, cache=True, fastmath={"reassoc"})
def _grad_weight_unit_stride(x, g, dw_out, ph, pw, dh, dw, B):
    N, C, H, W = x.shape
    OC, _, kh, kw = dw_out.shape
    m = OC // C
    Hp, Wp = H + 2 * ph, W + 2 * pw
    for o in prange(OC):
        acc = np.zeros(kh * kw)                         # float64 accumulators
        for n0 in range(0, N, B):
            n1 = min(N, n0 + B)
            pad = _padded_stack(x[n0:n1, o // m], ph, pw)
            wide = _wide_stack(g[n0:n1, o], Hp, Wp)     # zeros in the junk
            L = wide.shape[0]
            for i in range(kh):
                for j in range(kw):
                    shifted = pad[i * dh * Wp + j * dw:i * dh * Wp + j * dw + L]
                    total = 0.0
                    for t in range(L):
                        total += wide[t] * shifted[t]
                    acc[i * kw + j] += total
        for i in range(kh):
            for j in range(kw):
                dw_out[o, 0, i, j] = acc[i * kw + j]


def _operands(a, b):
    """Both as C-contiguous arrays of a's dtype."""
    a = as_c(a)
    return a, as_c(b.astype(a.dtype, copy=False))


def _run(unit_stride_kernel, kernel, a, b, out, stride, padding, dilation, input_hw):
    """`out` filled by `kernel`, or by `unit_stride_kernel` when the stride is (1, 1)."""
    (sh, sw), (ph, pw), (dh, dw) = map(pair, (stride, padding, dilation))
    if (sh, sw) == (1, 1):
        padded = (input_hw[0] + 2 * ph) * (input_hw[1] + 2 * pw)
        images = max(1, STACK_ELEMENTS // padded)
        unit_stride_kernel(a, b, out, ph, pw, dh, dw, images)
    else:
        kernel(a, b, out, sh, sw, ph, pw, dh, dw)
    return out


def depthwise_conv2d(x, weight, stride, padding, dilation):
    """x (N, C, H, W), weight (C*m, 1, kh, kw) -> y (N, C*m, oh, ow)."""
    x, weight = _operands(x, weight)
    N, C, H, W = x.shape
    OC, _, kh, kw = weight.shape
    oh, ow = conv_output_shape((H, W), (kh, kw), stride, padding, dilation)
    y = np.empty((N, OC, oh, ow), dtype=x.dtype)
    return _run(_forward_unit_stride, _forward, x, weight, y, stride, padding, dilation,
                (H, W))


def depthwise_conv2d_grad_input(grad_out, weight, input_shape, stride, padding, dilation):
    """dL/dx (N, C, H, W) from grad_out (N, C*m, oh, ow)."""
    grad_out, weight = _operands(grad_out, weight)
    dx = np.empty(tuple(map(int, input_shape)), dtype=grad_out.dtype)
    return _run(_grad_input_unit_stride, _grad_input, grad_out, weight, dx, stride, padding,
                dilation, dx.shape[2:])


def depthwise_conv2d_grad_weight(x, grad_out, weight_shape, stride, padding, dilation):
    """dL/dw (C*m, 1, kh, kw) from x (N, C, H, W) and grad_out (N, C*m, oh, ow)."""
    x, grad_out = _operands(x, grad_out)
    dw_out = np.empty(tuple(map(int, weight_shape)), dtype=x.dtype)
    return _run(_grad_weight_unit_stride, _grad_weight, x, grad_out, dw_out, stride, padding,
                dilation, x.shape[2:])
