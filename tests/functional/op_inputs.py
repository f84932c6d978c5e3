"""Inputs of the op table's rows (op_table.py): value makers that keep away from an op's
kinks, poles and ties, and hypothesis strategies that draw shapes and arguments.

Every maker returns float64 data (or integer / bool data where the op takes it); the table's
checks cast floating arrays to float32 where they compare with PyTorch, so a row's float32
and float64 inputs hold the same values."""
from typing import NamedTuple

import numpy as np
from conftest import random_array, untied_array
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import minicnn as mc

SEEDS = st.integers(0, 2**16)


class Case(NamedTuple):
    """One call of a row's op: its positional arrays (or other arguments) and keywords."""
    arrays: tuple
    kwargs: dict = {}


# ---------------------------------------------------------------- value makers

def normal(shape, seed=0, scale=1.0, shift=0.0):
    return np.asarray(random_array(shape, seed) * scale + shift)


def positive(shape, seed=0, low=0.5, high=2.0):
    return np.asarray(random_array(shape, seed, low=low, high=high))


def nonzero(shape, seed=0):
    """|x| in [0.5, 2) with either sign: a denominator away from 0."""
    return np.where(random_array(shape, seed + 7) > 0, 1.0, -1.0) * positive(shape, seed)


def integers(shape, seed=0, low=-3, high=4):
    """Whole numbers in [low, high) as floats: ties are common."""
    return np.asarray(np.random.default_rng(seed).integers(low, high, size=shape), np.float64)


def off_integers(shape, seed=0):
    """k + u with u in [0.2, 0.8]: at least 0.2 from every whole number (from the `integers`
    values, from 0 and from whole-number clamp bounds)."""
    return np.asarray(integers(shape, seed) + random_array(shape, seed + 1, low=0.2, high=0.8))


def untied(shape, seed=0, scale=1.0):
    """Distinct values (a shuffled linspace over [−3, 3], times `scale`): max, min, their
    indices and their gradients have no ties."""
    return untied_array(shape, seed) * scale


def away_from_kinks(shape, kinks, seed=0, scale=4.0, gap=0.05):
    """Normal data scaled to reach every kink (relu6's 6 included), none within `gap` of one
    (central differences use eps = 1e-6, far inside the gap)."""
    x = normal(shape, seed, scale)
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + np.where(x[near] >= k, gap, -gap) * 2
    return x


def probabilities(shape, seed=2):
    """Rows of class probabilities along dim 1 (dim 0 when unbatched)."""
    e = np.exp(random_array(shape, seed))
    return e / e.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)


# class-index losses: C classes, class IGNORED present so that ignore_index drops samples
C = 4
IGNORED = 1


def labels(shape, seed=0):
    """int64 class indices with class IGNORED present (when there are several samples) and
    at least one other class, so that ignore_index never drops every sample."""
    t = np.random.default_rng(seed).integers(0, C, size=shape)
    if t.size > 1:
        t.reshape(-1)[0], t.reshape(-1)[-1] = IGNORED, IGNORED + 1
    else:
        t[...] = IGNORED + 1
    return np.asarray(t, np.int64)


def class_weight(seed=1):
    return positive((C,), seed)


def bool_mask(shape, seed=0, keep_first=True):
    """A random bool mask (True = take part); column 0 always takes part unless told."""
    mask = np.random.default_rng(seed).random(shape) < 0.6
    if keep_first:
        mask[..., 0] = True
    return mask


# ---------------------------------------------------------------- elementwise, reductions, shapes

@st.composite
def broadcast(draw, *makers):
    """One array per maker, of mutually broadcastable shapes (up to 3 dims of up to 4)."""
    shapes = draw(mutually_broadcastable_shapes(num_shapes=len(makers), max_dims=3,
                                                max_side=4)).input_shapes
    seed = draw(SEEDS)
    return Case(tuple(make(s, seed + i) for i, (make, s) in enumerate(zip(makers, shapes))))


def condition(shape, seed):
    """A bool array, True about half the time."""
    return np.asarray(random_array(shape, seed) > 0)


@st.composite
def batched_matmul(draw):
    """(..., m, k) @ (..., k, n) with mutually broadcastable batch dimensions."""
    batch_a, batch_b = draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                          max_side=3)).input_shapes
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    seed = draw(SEEDS)
    return Case((normal(batch_a + (m, k), seed), normal(batch_b + (k, n), seed + 1)))


@st.composite
def reduction_config(draw, make, min_size=1, single_dim=False):
    """A drawn shape and `make`'s data of it, a dim to reduce (None, an int, possibly negative,
    or a tuple; an int with `single_dim`) and keepdim."""
    shape = tuple(draw(st.lists(st.integers(min_size, min_size + 3), min_size=1, max_size=3)))
    nd = len(shape)
    dims = st.integers(-nd, nd - 1)
    if not single_dim:
        dims = st.one_of(st.none(), dims, st.lists(dims, min_size=1, max_size=nd,
                                                   unique_by=lambda d: d % nd).map(tuple))
    return Case((make(shape, len(shape)),), dict(dim=draw(dims), keepdim=draw(st.booleans())))


@st.composite
def correction_config(draw):
    """A `reduction_config` of sizes ≥ 3 with a correction of 0, 1 or 2, so n − correction > 0."""
    case = draw(reduction_config(normal, min_size=3))
    return Case(case.arrays, dict(case.kwargs, correction=draw(st.sampled_from([0, 1, 2]))))


SMALL_SHAPES = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


@st.composite
def permutation(draw):
    """A shape and a permutation of its dims, some of them written negative."""
    shape = draw(SMALL_SHAPES)
    dims = draw(st.permutations(range(len(shape))))
    negative = draw(st.lists(st.booleans(), min_size=len(dims), max_size=len(dims)))
    dims = tuple(d - len(dims) if neg else d for d, neg in zip(dims, negative))
    return Case((normal(shape),), dict(dims=dims))


@st.composite
def two_dims(draw):
    """A shape and two of its dims (either may be negative, both may be the same)."""
    shape = draw(SMALL_SHAPES)
    n = len(shape)
    return Case((normal(shape),), dict(dim0=draw(st.integers(-n, n - 1)),
                                       dim1=draw(st.integers(-n, n - 1))))


@st.composite
def factorisation(draw):
    """A shape and a divisor of its size: reshape to (divisor, -1, 1)."""
    shape = draw(SMALL_SHAPES)
    n = int(np.prod(shape))
    return Case((normal(shape),),
                dict(first=draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))))


@st.composite
def integer_list_index(draw):
    """A (size, 2) array and a list of up to 8 indices into its first dim, negative ones too."""
    size = draw(st.integers(1, 5))
    index = draw(st.lists(st.integers(-size, size - 1), min_size=0, max_size=8))
    return Case((normal((size, 2), 4), index))


# ---------------------------------------------------------------- convolution and pooling

@st.composite
def conv_config(draw):
    """Grouped, depthwise, strided (stride may exceed the kernel), dilated and padded
    convolutions of odd sizes, with or without bias."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    depthwise = draw(st.booleans()) and groups > 1
    cg = 1 if depthwise else draw(st.integers(1, 3))
    in_ch = cg * groups
    out_ch = groups * draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, kh // 2 + 1)), draw(st.integers(0, kw // 2 + 1)))
    span = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    h = draw(st.integers(max(1, span[0] - 2 * padding[0]), 12))
    w = draw(st.integers(max(1, span[1] - 2 * padding[1]), 12))
    n = draw(st.integers(1, 3))
    return dict(x=(n, in_ch, h, w), w=(out_ch, in_ch // groups, kh, kw),
                bias=draw(st.booleans()), stride=stride, padding=padding, dilation=dilation,
                groups=groups)


def conv_case(cfg, transpose=False):
    """x, weight and bias (or None) of a `conv_config` dict, and its keyword arguments."""
    w_shape = cfg["w"]
    if transpose:  # (C_in, C_out / groups, kh, kw)
        w_shape = (cfg["x"][1], w_shape[0] // cfg["groups"]) + w_shape[2:]
    out_ch = w_shape[1] * cfg["groups"] if transpose else w_shape[0]
    bias = normal((out_ch,), 3) if cfg["bias"] else None
    kwargs = {k: cfg[k] for k in ("stride", "padding", "dilation", "groups", "output_padding")
              if k in cfg}
    return Case((normal(cfg["x"], 1), normal(w_shape, 2), bias), kwargs)


@st.composite
def conv_transpose_config(draw):
    """A `conv_config` with an output_padding below max(stride, dilation), and no padding
    where the padding would leave no output."""
    cfg = draw(conv_config())
    stride, dilation = cfg["stride"], cfg["dilation"]
    cfg["output_padding"] = tuple(draw(st.integers(0, max(s, d) - 1))
                                  for s, d in zip(stride, dilation))
    out = [(n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
           zip(cfg["x"][2:], stride, cfg["padding"], dilation, cfg["w"][2:],
               cfg["output_padding"])]
    if min(out) <= 0:
        cfg["padding"] = (0, 0)
    return cfg


@st.composite
def pool_config(draw, dilation=True):
    """Untied (N, C, H, W) data and a pooling window: kernel 1-4, stride 1-5, padding up to
    half the kernel, dilation 1-3 (or 1), ceil_mode either way."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    dil = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if dilation else (1, 1)
    span = (dil[0] * (kh - 1) + 1, dil[1] * (kw - 1) + 1)
    h = draw(st.integers(max(1, span[0] - 2 * padding[0]), 11))
    w = draw(st.integers(max(1, span[1] - 2 * padding[1]), 11))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w)
    kwargs = dict(kernel_size=(kh, kw), stride=stride, padding=padding, ceil_mode=draw(
        st.booleans()))
    if dilation:
        kwargs["dilation"] = dil
    return Case((untied(shape),), kwargs)


def _window_in_padding(size, kernel, stride, padding, dilation, ceil_mode):
    """Whether some pooling window along one axis of `size` falls wholly into the padding."""
    span = dilation * (kernel - 1) + 1
    count = (size + 2 * padding - span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1
    taps = np.arange(count)[:, None] * stride - padding + dilation * np.arange(kernel)
    return bool((((taps < 0) | (taps >= size)).all(axis=1)).any())


def max_pool_config():
    """A `pool_config` with no window wholly in the padding: PyTorch returns −inf there and an
    index outside the plane, a case with no meaningful gradient."""
    return pool_config().filter(lambda case: not any(
        _window_in_padding(size, *params, case.kwargs["ceil_mode"]) for size, *params in zip(
            case.arrays[0].shape[2:], *(case.kwargs[k] for k in
                                        ("kernel_size", "stride", "padding", "dilation")))))


@st.composite
def avg_pool_config(draw):
    case = draw(pool_config(dilation=False))
    return Case(case.arrays, dict(case.kwargs, count_include_pad=draw(st.booleans()),
                                  divisor_override=draw(st.sampled_from([None, 3]))))


@st.composite
def adaptive_pool_config(draw):
    """Untied (2, 3, h, w) data with h, w in 1-9 and an output size in 1-5."""
    x = untied((2, 3, draw(st.integers(1, 9)), draw(st.integers(1, 9))))
    return Case((x,), dict(output_size=(draw(st.integers(1, 5)), draw(st.integers(1, 5)))))


@st.composite
def unpool_config(draw):
    """Pooled values, the indices of a non-overlapping max pool of a `pool_config` input, and
    that pool's window. Overlapping windows repeat indices, and which repeated value lands is
    unspecified in PyTorch."""
    case = draw(pool_config(dilation=False))
    (x,) = case.arrays
    window = dict(kernel_size=case.kwargs["kernel_size"], stride=case.kwargs["kernel_size"],
                  padding=case.kwargs["padding"])
    _, indices = mc.nn.functional.max_pool2d(mc.tensor(x), **window, return_indices=True)
    return Case((untied(tuple(indices.shape), seed=1), indices.numpy()),
                dict(window, output_size=x.shape[2:]))


# ---------------------------------------------------------------- normalization

@st.composite
def batch_norm_config(draw):
    """x (N, C, *0-3 dims), running mean and variance, weight, bias, and training: one
    value per channel only in evaluation (an error in training)."""
    n, c, seed = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(SEEDS)
    spatial = draw(st.lists(st.integers(1, 4), max_size=3))
    training = draw(st.booleans())
    if training and n * int(np.prod(spatial)) == 1:
        n = 2
    return Case((normal((n, c, *spatial), seed), normal((c,), seed + 1), positive((c,), seed + 2),
                 positive((c,), seed + 3), normal((c,), seed + 4)), dict(training=training))


@st.composite
def layer_norm_config(draw):
    """x of 1-4 dims, its last 1..all dims normalized, with or without weight and bias."""
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    normalized = tuple(shape[len(shape) - draw(st.integers(1, len(shape))):])
    seed = draw(SEEDS)
    affine = (positive(normalized, seed + 1), normal(normalized, seed + 2))
    return Case((normal(shape, seed),) + (affine if draw(st.booleans()) else ()),
                dict(normalized_shape=normalized))


@st.composite
def group_norm_config(draw):
    """x (N, groups · per_group, *0-2 dims), weight and bias; torch rejects (1, C) input with
    one channel per group (minicnn gives the bias), so that N is 2."""
    n, groups, per_group = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(
        st.integers(1, 3))
    spatial, seed = draw(st.lists(st.integers(1, 4), max_size=2)), draw(SEEDS)
    c = groups * per_group
    if n * per_group * int(np.prod(spatial)) == 1:
        n = 2
    return Case((normal((n, c, *spatial), seed), positive((c,), seed + 1),
                 normal((c,), seed + 2)), dict(num_groups=groups))


@st.composite
def lrn_config(draw):
    """x (N, C, *1-2 dims) times 2, a window of 1-8 channels, alpha 1e-4 to 1."""
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 7)),
             *draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))
    size, alpha = draw(st.integers(1, 8)), draw(st.sampled_from([1e-4, 0.1, 1.0]))
    return Case((normal(shape, draw(SEEDS), scale=2),), dict(size=size, alpha=alpha))


# ---------------------------------------------------------------- resampling and attention

INTERPOLATION_MODES = [("nearest", None), ("bilinear", False), ("bilinear", True)]


@st.composite
def interpolate_config(draw):
    """Untied (1-2, 1-3, h, w) data, a mode, and a size (1-20 a side) or scale factors
    (0.25-4, at least one output pixel) with or without recompute_scale_factor."""
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    mode, align_corners = draw(st.sampled_from(INTERPOLATION_MODES))
    if draw(st.booleans()):
        resize = {"size": (draw(st.integers(1, 20)), draw(st.integers(1, 20)))}
    else:
        factors = st.floats(0.25, 4.0).filter(lambda f: f * min(h, w) >= 1)
        resize = {"scale_factor": (draw(factors), draw(factors)),
                  "recompute_scale_factor": draw(st.sampled_from([None, True]))}
    x = untied((draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w), seed=draw(SEEDS))
    return Case((x,), dict(resize, mode=mode, align_corners=align_corners))


def qkv(batch=(2,), L=3, S=5, E=4, Ev=3, seed=0):
    """Query (*batch, L, E), key (*batch, S, E) and value (*batch, S, Ev)."""
    return (normal(batch + (L, E), seed), normal(batch + (S, E), seed + 1),
            normal(batch + (S, Ev), seed + 2))


@st.composite
def attention_config(draw):
    """Query, key and value with batch dims that broadcast (some dropped, some 1), and no
    mask, a bool mask (fully masked rows too), a float mask, or is_causal; scale drawn."""
    batch = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    L, S = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    E, Ev = draw(st.integers(1, 7)), draw(st.integers(1, 7))

    def broadcast_variant(shape):
        keep = draw(st.integers(0, len(shape)))
        shape = shape[len(shape) - keep:]
        return tuple(1 if draw(st.booleans()) else s for s in shape)

    kb, vb = broadcast_variant(batch), broadcast_variant(batch)
    if draw(st.booleans()):
        kb = vb = batch
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    mask_shape = broadcast_variant(batch) + tuple(1 if draw(st.booleans()) else s
                                                  for s in (L, S))
    scale = draw(st.one_of(st.none(), st.floats(0.05, 2.0)))
    seed = draw(SEEDS)
    arrays = (normal(batch + (L, E), seed), normal(kb + (S, E), seed + 1),
              normal(vb + (S, Ev), seed + 2))
    if kind == "bool":
        arrays += (bool_mask(mask_shape, seed, keep_first=False),)
    elif kind == "float":
        arrays += (normal(mask_shape, seed + 3),)
    return Case(arrays, dict(is_causal=kind == "causal", scale=scale))
