"""Strided convolutions as stride-1 3×3 ones over space-to-depth blocks, for forwards that
need no gradient: the 3×3 convolution then runs by Winograd F(4×4, 3×3) (conv_winograd.py).
conv_select.py says where conv2d takes it (the "space_to_depth" algorithm).
AlexNet's 11×11/4 stem becomes a 3×3 convolution over 48 channels at 57×57.

Cut the zero-padded input into sh×sw blocks and stack each block's pixels as channels:
channel c·sh·sw + r·sw + s of block (a, e) holds padded pixel (a·sh + r, e·sw + s) of
channel c. Cut the filters, zero-extended to 3·sh × 3·sw, the same way. Output pixel
(oy, ox) reads padded rows oy·sh + i, i < kh, which are row i mod sh of block oy + i // sh,
and likewise columns: a stride-1 3×3 window over the blocks, where ⌈kh / sh⌉ = ⌈kw / sw⌉ = 3.
The sums are those of the strided convolution plus products with the zero taps; F(4×4,
3×3) then takes 2.25·C·sh·sw multiplications per output and output channel where im2col's
GEMM takes C·kh·kw (AlexNet's stem: 108 against 363).
"""
from ..autograd import Function
from ..kernels.shapes import conv_output_shape
from ._common import xp
from .conv_winograd import MIN_GEMM_ROWS4, _convolve

WINDOW_IN_BLOCKS = 3        # the stride-1 window the blocks give, Winograd F(4×4, 3×3)'s


def space_to_depth(a, block, offset, size):
    """(N, C, H, W) `a` placed at `offset` in a zero grid of `size` (cut where it reaches
    past it; size a multiple of `block`) -> (N, C·bh·bw, size_h / bh, size_w / bw), channel
    c·bh·bw + r·bw + s of block (i, j) holding grid pixel (i·bh + r, j·bw + s) of channel c."""
    m = xp(a)
    N, C, H, W = a.shape
    (bh, bw), (oy, ox), (sh, sw) = block, offset, size
    h, w = min(H, sh - oy), min(W, sw - ox)
    grid = m.zeros((N, C, sh, sw), dtype=a.dtype)
    grid[:, :, oy:oy + h, ox:ox + w] = a[:, :, :h, :w]
    blocks = grid.reshape(N, C, sh // bh, bh, sw // bw, bw)         # (N, C, i, r, j, s)
    stacked = m.ascontiguousarray(blocks.transpose(0, 1, 3, 5, 2, 4))  # (N, C, r, s, i, j)
    return stacked.reshape(N, C * bh * bw, sh // bh, sw // bw)


def conv2d_space_to_depth(x, w, b, stride, padding):
    """conv2d(x, w, b, stride, padding) for a window that spans WINDOW_IN_BLOCKS strides
    each way, without dilation or groups; x is rearranged per batch chunk, while the chunk
    is in cache."""
    oh, ow = conv_output_shape(x.shape[2:], w.shape[2:], stride, padding, (1, 1))
    span = WINDOW_IN_BLOCKS - 1
    size = ((oh + span) * stride[0], (ow + span) * stride[1])       # the blocks read
    window = (WINDOW_IN_BLOCKS * stride[0], WINDOW_IN_BLOCKS * stride[1])
    blocked_w = space_to_depth(w, stride, (0, 0), window)           # (OC, C·sh·sw, 3, 3)
    return _convolve(x, blocked_w, b, (0, 0), 1, 4,
                     lambda part: space_to_depth(part, stride, padding, size),
                     MIN_GEMM_ROWS4)[0]


class Conv2dSpaceToDepth(Function):
    """y = conv2d(x, w, b, stride, padding) by conv2d_space_to_depth. Forward only: the
    selector takes it only where no input records a gradient, so it has no backward."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding):
        return conv2d_space_to_depth(x, w, b, stride, padding)
