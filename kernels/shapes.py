"""Output-size arithmetic shared by every form of the convolution and pooling kernels, and
the row count of the few-row linear kernel.

All sizes follow PyTorch:

- convolution: ``out = (size + 2·pad − dilation·(k − 1) − 1) // stride + 1``;
- pooling: the same, rounded up instead of down with ``ceil_mode``, except that a last
  window that would start in the right padding (or beyond) is dropped.
"""

# The rows of x that one pass of linear_few_rows over the weight serves.
LINEAR_FEW_ROWS = 8


def check_linear_rows(rows):
    """linear_few_rows' bound on the rows of x, in every form."""
    if rows > LINEAR_FEW_ROWS:
        raise ValueError(f"linear_few_rows: x has {rows} rows, more than "
                         f"LINEAR_FEW_ROWS={LINEAR_FEW_ROWS}")


def pair(value):
    """(h, w) from an int, a pair of ints, or one int in a sequence (as PyTorch)."""
    if type(value) is tuple and len(value) == 2 and type(value[0]) is type(value[1]) is int:
        return value
    if isinstance(value, (tuple, list)):
        h, w = value if len(value) != 1 else (value[0], value[0])
        return int(h), int(w)
    return int(value), int(value)


def conv_output_size(size, kernel, stride, padding, dilation=1):
    """Number of windows along one axis of a convolution (or of im2col)."""
    span = dilation * (kernel - 1) + 1          # input positions one window covers
    return (size + 2 * padding - span) // stride + 1


def winograd_tiles(input_hw, padding, tile=2, kernel=3):
    """(oh, ow) and the number of tile×tile output tiles (th, tw) of a stride-1
    kernel×kernel convolution."""
    oh, ow = (n + 2 * p - (kernel - 1) for n, p in zip(input_hw, padding))
    return (oh, ow), (-(-oh // tile), -(-ow // tile))


def pool_output_size(size, kernel, stride, padding, dilation=1, ceil_mode=False):
    """Number of windows along one axis of a pooling layer."""
    span = dilation * (kernel - 1) + 1
    if not ceil_mode:
        return (size + 2 * padding - span) // stride + 1
    out = -(-(size + 2 * padding - span) // stride) + 1   # ceil division
    if (out - 1) * stride >= size + padding:               # last window starts in the padding
        out -= 1
    return out


def conv_output_shape(input_hw, kernel_size, stride, padding, dilation):
    """(oh, ow) of a convolution over an input of spatial size `input_hw`."""
    return tuple(conv_output_size(n, k, s, p, d) for n, k, s, p, d in
                 zip(input_hw, pair(kernel_size), pair(stride), pair(padding), pair(dilation)))


def pool_output_shape(input_hw, kernel_size, stride, padding, dilation=1, ceil_mode=False):
    """(oh, ow) of a pooling layer over an input of spatial size `input_hw`."""
    return tuple(pool_output_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in
                 zip(input_hw, pair(kernel_size), pair(stride), pair(padding), pair(dilation)))


def avg_pool_divisors(input_hw, kernel_size, stride, padding, out_hw, count_include_pad,
                      divisor_override=None):
    """(rows, cols), lists of ints: average-pooling window (oy, ox) divides its sum by
    rows[oy] * cols[ox], PyTorch's rule. With count_include_pad a window counts the padding
    it covers but not the part of a ceil_mode window beyond input + padding; without, only
    real pixels; divisor_override replaces both."""
    if divisor_override:
        return [int(divisor_override)] * out_hw[0], [1] * out_hw[1]
    factors = []
    for size, k, s, p, out in zip(input_hw, pair(kernel_size), pair(stride), pair(padding),
                                  out_hw):
        counts = []
        for o in range(out):
            start = o * s - p
            end = min(start + k, size + p)
            if not count_include_pad:
                start, end = max(start, 0), min(end, size)
            counts.append(end - start)
        factors.append(counts)
    return factors[0], factors[1]


def adaptive_bins(size, out):
    """PyTorch's adaptive pooling bins along one axis: [floor(i·size/out),
    ceil((i+1)·size/out)) for i < out."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def adaptive_pool_windows(input_hw, out_hw):
    """(kernel_size, stride, padding), pairs: evenly spaced windows, window i starting at
    i·stride − padding, each holding adaptive bin i (and possibly more), for kernels that
    find the outputs near an input pixel by window arithmetic."""
    kernel, stride, padding = [], [], []
    for size, out in zip(input_hw, out_hw):
        bins = adaptive_bins(size, out)
        s = max(1, size // out) if out else 1          # no bins: no windows to place
        p = max((i * s - start for i, (start, _) in enumerate(bins)), default=0)
        kernel.append(max((stop - i * s + p for i, (_, stop) in enumerate(bins)), default=1))
        stride.append(s)
        padding.append(p)
    return tuple(kernel), tuple(stride), tuple(padding)
