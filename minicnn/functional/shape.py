"""Ops that move elements without changing them: reshape, transpose, cat, split, pad ..."""
from itertools import accumulate

import numpy as np

from ..allocation import check_fits
from ..autograd import Function
from ..dtypes import promote
from ._common import (accepts_numpy_names, check_same_device, normalize_dim, shape_str,
                      unbroadcast, xp)
from .arithmetic import clone
from .conversion import astype, check_memory_format


class Reshape(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        """da = g reshaped to the input's shape."""
        return g.reshape(ctx.shape)


class Permute(Function):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.inverse = tuple(np.argsort(dims))
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        """da = g with the inverse permutation."""
        return g.transpose(ctx.inverse)


class Expand(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return xp(a).broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        """da = g summed over the expanded dimensions."""
        return unbroadcast(g, ctx.shape)


class Repeat(Function):
    @staticmethod
    def forward(ctx, a, repeats):
        ctx.shape = a.shape
        ctx.repeats = repeats
        lead = len(repeats) - a.ndim
        return xp(a).tile(a.reshape((1,) * lead + a.shape), repeats)

    @staticmethod
    def backward(ctx, g):
        """da = Σ over the tiles of g: view g as (r₀, s₀, r₁, s₁, …) and sum the r axes."""
        shape = (1,) * (len(ctx.repeats) - len(ctx.shape)) + ctx.shape
        split = [n for r, s in zip(ctx.repeats, shape) for n in (r, s)]
        return g.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(ctx.shape)


class Cat(Function):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        ctx.bounds = list(accumulate(a.shape[axis] for a in arrays[:-1]))
        return xp(arrays[0]).concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        """Each input's gradient is its slice of g along the joined axis."""
        return tuple(xp(g).split(g, ctx.bounds, axis=ctx.axis))


class Split(Function):
    @staticmethod
    def forward(ctx, a, bounds, axis):
        ctx.axis = axis
        return tuple(xp(a).split(a, bounds, axis=axis))

    @staticmethod
    def backward(ctx, *grads):
        """da = the pieces' gradients joined back along the axis."""
        return xp(grads[0]).concatenate(grads, axis=ctx.axis)


class Pad(Function):
    @staticmethod
    def forward(ctx, a, widths, value):
        ctx.slices = tuple(slice(lo, lo + s) for (lo, _), s in zip(widths, a.shape))
        return xp(a).pad(a, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        """da = g with the padding cut off."""
        return g[ctx.slices]


class Crop(Function):
    """Negative padding: cut `slices` out of the input."""

    @staticmethod
    def forward(ctx, a, slices):
        ctx.shape, ctx.slices = a.shape, slices
        return a[slices]

    @staticmethod
    def backward(ctx, g):
        """da = g placed back at the cut-out position, 0 elsewhere."""
        da = xp(g).zeros(ctx.shape, dtype=g.dtype)
        da[ctx.slices] = g
        return da


def _sizes(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def reshape(input, *shape):
    shape = _sizes(shape)
    known = [s for s in shape if s != -1]
    if shape.count(-1) > 1 or any(s < -1 for s in shape):
        raise ValueError(f"reshape: invalid shape {shape}")
    total = int(np.prod(known))
    n = input.numel()
    if (-1 in shape and (total == 0 or n % total)) or (-1 not in shape and total != n):
        raise ValueError(f"reshape: shape {shape} is invalid for input of shape "
                         f"{shape_str(input.shape)} ({n} elements)")
    return Reshape.apply(input, shape=shape)


def view(input, *shape):
    """`input`'s elements under a new shape, always sharing its memory (and version
    counter), as torch.Tensor.view: where the strides allow no such view (a dimension of
    the new shape would span two separate blocks of memory), RuntimeError pointing to
    reshape, which copies then."""
    out = reshape(input, *shape)
    a = input._data
    if out.numel() and not a.flags.c_contiguous and not xp(a).may_share_memory(out._data, a):
        raise RuntimeError(f"view: shape {_sizes(shape)} for a tensor of shape "
                           f"{shape_str(input.shape)} and strides {_strides(a)}: view "
                           f"size is not compatible with input tensor's size and stride (at "
                           f"least one dimension spans across two contiguous subspaces). Use "
                           f".reshape(...) instead.")
    return out


def _strides(array):
    """Strides in elements, as PyTorch reports them."""
    return tuple(s // array.itemsize for s in array.strides)


def flatten(input, start_dim=0, end_dim=-1):
    if input.ndim == 0:
        return reshape(input, 1)
    start = normalize_dim("flatten", start_dim, input.ndim, "start_dim")
    end = normalize_dim("flatten", end_dim, input.ndim, "end_dim")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = input.shape[:start] + (-1,) + input.shape[end + 1:]
    if input.numel() == 0:
        shape = input.shape[:start] + (int(np.prod(input.shape[start:end + 1])),) \
            + input.shape[end + 1:]
    return reshape(input, shape)


def permute(input, *dims):
    dims = _sizes(dims)
    if len(dims) != input.ndim:
        raise ValueError(f"permute: got {len(dims)} dims {dims} for a tensor of "
                         f"{input.ndim} dimensions (shape {shape_str(input.shape)})")
    axes = tuple(normalize_dim("permute", d, input.ndim) for d in dims)
    if sorted(axes) != list(range(input.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of 0..{input.ndim - 1}")
    return Permute.apply(input, dims=axes)


def transpose(input, dim0, dim1):
    d0 = normalize_dim("transpose", dim0, input.ndim, "dim0")
    d1 = normalize_dim("transpose", dim1, input.ndim, "dim1")
    if input.ndim == 0:  # as PyTorch: dims 0 and -1 of a 0-d tensor are itself
        return Permute.apply(input, dims=())
    dims = list(range(input.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, dims=tuple(dims))


def t(input):
    if input.ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dimensions, got shape "
                         f"{shape_str(input.shape)}")
    return input if input.ndim < 2 else transpose(input, 0, 1)


def squeeze(input, dim=None):
    if dim is None:
        shape = tuple(s for s in input.shape if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = {normalize_dim("squeeze", d, input.ndim) for d in dims}
        shape = tuple(s for i, s in enumerate(input.shape) if not (i in axes and s == 1))
    return Reshape.apply(input, shape=shape)


def unsqueeze(input, dim):
    axis = normalize_dim("unsqueeze", dim, input.ndim + 1)
    shape = input.shape[:axis] + (1,) + input.shape[axis:]
    return Reshape.apply(input, shape=shape)


def expand(input, *sizes):
    sizes = _sizes(sizes)
    if len(sizes) < input.ndim:
        raise ValueError(f"expand: {len(sizes)} sizes {sizes} for a tensor of "
                         f"{input.ndim} dimensions (shape {shape_str(input.shape)})")
    lead = len(sizes) - input.ndim
    shape = []
    for i, s in enumerate(sizes):
        own = input.shape[i - lead] if i >= lead else None
        if s == -1:
            if own is None:
                raise ValueError(f"expand: -1 is not allowed for a new leading dimension "
                                 f"(sizes {sizes})")
            s = own
        if own is not None and own != 1 and own != s:
            raise ValueError(f"expand: the size of dimension {i - lead} is {own} and cannot be "
                             f"expanded to {s} (shape {shape_str(input.shape)}, sizes {sizes})")
        shape.append(s)
    return Expand.apply(input, shape=tuple(shape))


def expand_as(input, other):
    return expand(input, other.shape)


def repeat(input, *repeats):
    repeats = _sizes(repeats)
    if len(repeats) < input.ndim:
        raise ValueError(f"repeat: {len(repeats)} repeats {repeats} for a tensor of "
                         f"{input.ndim} dimensions (shape {shape_str(input.shape)})")
    shape = (1,) * (len(repeats) - input.ndim) + tuple(input.shape)
    check_fits("repeat", "the output", [r * s for r, s in zip(repeats, shape)], input.dtype,
               input.device)
    return Repeat.apply(input, repeats=repeats)


@accepts_numpy_names
def cat(tensors, dim=0):
    """Join tensors along an existing dimension. As PyTorch, 1-D empty tensors (shape (0,))
    are skipped whatever the others' shape (a legacy rule), though their dtype counts."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    check_same_device("cat", *tensors)
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ValueError(f"cat: tensor {i} is zero-dimensional and cannot be concatenated "
                             f"(use stack)")
    dtypes = {t.dtype for t in tensors}
    dtype = tensors[0].dtype
    if len(dtypes) > 1:
        for t in tensors[1:]:
            dtype = promote(dtype, t.dtype)
    kept = [t for t in tensors if t.shape != (0,)]
    if not kept:
        return Cat.apply(*[astype(t, dtype) for t in tensors], axis=0)
    tensors = kept
    ref = tuple(tensors[0].shape)
    axis = normalize_dim("cat", dim, len(ref))
    before, after = ref[:axis], ref[axis + 1:]                  # sizes that must match
    for i, t in enumerate(tensors):
        shape = tuple(t.shape)
        if len(shape) != len(ref) or shape[:axis] != before or shape[axis + 1:] != after:
            raise ValueError(f"cat: tensor {i} has shape {shape_str(shape)} but tensor 0 has "
                             f"shape {shape_str(ref)}; sizes must match except in dimension "
                             f"{axis}")
    if len(dtypes) > 1:
        tensors = [astype(t, dtype) for t in tensors]
    return Cat.apply(*tensors, axis=axis)


concat = concatenate = cat


@accepts_numpy_names
def stack(tensors, dim=0):
    """Join tensors of one shape along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {shape_str(t.shape)} but tensor 0 has "
                             f"shape {shape_str(tensors[0].shape)}; all must be equal")
    axis = normalize_dim("stack", dim, tensors[0].ndim + 1)
    return cat([unsqueeze(t, axis) for t in tensors], dim=axis)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of `split_size` along `dim` (the last may be smaller), or of the listed sizes."""
    axis = normalize_dim("split", dim, tensor.ndim)
    length = tensor.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sections = [size] * (length // size) + ([length % size] if length % size else [])
        sections = sections or [0]
    else:
        sections = [int(s) for s in split_size_or_sections]
        if sum(sections) != length or any(s < 0 for s in sections):
            raise ValueError(f"split: sections {sections} do not add up to the size {length} of "
                             f"dimension {axis} (shape {shape_str(tensor.shape)})")
    bounds = tuple(np.cumsum(sections)[:-1].tolist())
    return Split.apply(tensor, bounds=bounds, axis=axis)


def chunk(input, chunks, dim=0):
    """At most `chunks` pieces of equal size ceil(n / chunks) along `dim`."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    axis = normalize_dim("chunk", dim, input.ndim)
    if input.shape[axis] == 0:  # as PyTorch: `chunks` empty pieces
        return split(input, [0] * chunks, axis)
    return split(input, -(-input.shape[axis] // chunks), axis)


def unbind(input, dim=0):
    axis = normalize_dim("unbind", dim, input.ndim)
    if input.shape[axis] == 0:
        return ()
    return tuple(squeeze(p, axis) for p in split(input, 1, axis))


def pad(input, pad, mode="constant", value=0.0):
    """Pad the last len(pad) // 2 dimensions: pad = (left, right, top, bottom, ...), starting
    from the last dimension, as torch.nn.functional.pad. Negative amounts crop."""
    if mode != "constant":
        raise ValueError(f"pad: mode {mode!r} is not supported (only 'constant')")
    pad = [int(p) for p in pad]
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: pad {tuple(pad)} must hold a (before, after) pair for each of at "
                         f"most {input.ndim} dimensions (input shape {shape_str(input.shape)})")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    for axis, (lo, hi) in enumerate(widths):
        if input.shape[axis] + lo + hi < 0:
            raise ValueError(f"pad: padding {(lo, hi)} leaves a negative size in dimension "
                             f"{axis} (input shape {shape_str(input.shape)})")
    check_fits("pad", "the output", [s + lo + hi for s, (lo, hi) in zip(input.shape, widths)],
               input.dtype, input.device)
    out = input
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        slices = tuple(slice(-lo if lo < 0 else 0, s + hi if hi < 0 else s)
                       for (lo, hi), s in zip(widths, input.shape))
        out = Crop.apply(out, slices=slices)
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    if any(lo or hi for lo, hi in widths):
        out = Pad.apply(out, widths=tuple(widths), value=value)
    return out


def contiguous(input, memory_format=None):
    """`input` itself when its data is C-contiguous, else a contiguous copy."""
    check_memory_format("contiguous", input, memory_format)
    return input if input._data.flags.c_contiguous else clone(input)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-D tensors (torch.meshgrid): output k repeats tensor k along
    its own axis. indexing='ij' gives shape (n0, n1, ...); 'xy' swaps the first two axes
    (shape (n1, n0, ...)), as NumPy's default. Each output is a broadcast view with
    gradients."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for i, t in enumerate(tensors):
        if t.ndim > 1:
            raise ValueError(f"meshgrid: expects 0-D or 1-D tensors, tensor {i} has shape "
                             f"{shape_str(t.shape)}")
    sizes = [t.numel() for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for axis, size in zip(axes, sizes):
        shape[axis] = size
    grids = []
    for axis, t in zip(axes, tensors):
        along = [1] * len(tensors)
        along[axis] = shape[axis]
        grids.append(expand(reshape(t, along), shape))
    return tuple(grids)
