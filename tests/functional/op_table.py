"""The op table: one row per op configuration that test_op_table.py checks the same ways.

A row names its op by `fn(lib, *tensors, **kwargs)`, written once for both libraries: `lib`
is `minicnn` or `torch` (`torch_fn` where PyTorch's call differs, or the op has no PyTorch
twin under its name). Its inputs are fixed arrays, or a hypothesis strategy of `Case`s where
the shapes and arguments are drawn; its checks are some of

- GRADCHECK: float64 central differences (mc.utils.gradcheck) agree with backprop;
- FORWARD: the outputs equal PyTorch's (in `parity_dtype`, float32 unless said);
- GRADIENTS: with FORWARD, every input's gradient equals PyTorch's too;
- DTYPE: float32 inputs give float32 outputs and gradients, float64 ones float64;
- FORMS: with `set_kernels("reference")` the outputs and gradients equal the default
  kernels' (for the ops that run through kernels/), on the CPU and on CUDA.

Every row also runs on CUDA (test_cuda_parity.py) unless it says `on_cuda=False`.

Checks particular to one op (error messages, ties, special values, paths, chunking) live in
that op's test file."""
import dataclasses
import enum
from typing import Callable, Optional

import numpy as np
from hypothesis.strategies import SearchStrategy
from op_inputs import (C, IGNORED, INTERPOLATION_MODES, adaptive_pool_config, attention_config,
                       avg_pool_config, away_from_kinks, batch_norm_config, batched_matmul,
                       bool_mask, broadcast, class_weight, condition, conv_case, conv_config,
                       conv_transpose_config, correction_config, factorisation,
                       group_norm_config, integer_list_index, integers, interpolate_config,
                       labels, layer_norm_config, lrn_config, max_pool_config, nonzero, normal,
                       off_integers, permutation, positive, probabilities, qkv, reduction_config,
                       two_dims, unpool_config, untied)

import minicnn as mc
from minicnn.functional.conv import Conv2dPointwise, Conv2dWinograd
from minicnn.functional.conv_winograd import MIN_CHANNELS


class Check(enum.Flag):
    """The kinds of check a row may take (see the module docstring)."""
    GRADCHECK = enum.auto()
    FORWARD = enum.auto()
    GRADIENTS = enum.auto()
    DTYPE = enum.auto()
    FORMS = enum.auto()


GRADCHECK, FORWARD, GRADIENTS, DTYPE, FORMS = Check
PARITY = FORWARD | GRADIENTS
ALL = PARITY | GRADCHECK | DTYPE


@dataclasses.dataclass(frozen=True)
class Op:
    """One row of the table (see the module docstring)."""
    id: str
    fn: Callable
    inputs: object                       # a tuple of arrays (or other arguments), or a strategy
    kwargs: dict = dataclasses.field(default_factory=dict)
    checks: Check = ALL
    torch_fn: Optional[Callable] = None
    rtol: float = 1e-4                   # of the parity checks
    atol: float = 1e-5
    parity_dtype: type = np.float32
    requires_grad: Optional[tuple] = None        # default: the floating arrays
    torch_requires_grad: Optional[tuple] = None  # in the parity checks, where it differs
    gradcheck: dict = dataclasses.field(default_factory=dict)  # mode, directions ...
    examples: Optional[int] = None       # drawn cases (derandomized); None: the profile's
    on_cuda: bool = True                 # False: the row calls a path CUDA arrays never take

    @property
    def drawn(self):
        return isinstance(self.inputs, SearchStrategy)


def functional(name):
    """fn calling lib.nn.functional.<name>."""
    return lambda lib, *args, **kwargs: getattr(lib.nn.functional, name)(*args, **kwargs)


def function(name):
    """fn calling lib.<name>."""
    return lambda lib, *args, **kwargs: getattr(lib, name)(*args, **kwargs)


def function_and_method(name):
    """fn returning both lib.<name>(x, ...) and x.<name>(...), so both forms are checked."""
    return lambda lib, x, *args, **kwargs: (getattr(lib, name)(x, *args, **kwargs),
                                            getattr(x, name)(*args, **kwargs))


def seeded(name, seed):
    """fn calling lib.nn.functional.<name> after lib.manual_seed(seed): one dropout mask for
    every call a check makes."""
    def fn(lib, *args, **kwargs):
        lib.manual_seed(seed)
        return getattr(lib.nn.functional, name)(*args, **kwargs)
    return fn


def shape_id(shape):
    return "x".join(map(str, shape)) or "0d"


# ---------------------------------------------------------------- activations and softmax

# (name, kwargs, kinks): the same name and kwargs in minicnn.functional and torch's.
ACTIVATIONS = [
    ("relu", {}, (0.0,)),
    ("leaky_relu", {}, (0.0,)),
    ("leaky_relu", {"negative_slope": 0.2}, (0.0,)),
    ("relu6", {}, (0.0, 6.0)),
    ("hardtanh", {}, (-1.0, 1.0)),
    ("hardtanh", {"min_val": -2.0, "max_val": 3.0}, (-2.0, 3.0)),
    ("elu", {}, (0.0,)),
    ("elu", {"alpha": 0.5}, (0.0,)),
    ("sigmoid", {}, ()),
    ("tanh", {}, ()),
    ("gelu", {}, ()),
    ("gelu", {"approximate": "none"}, ()),
    ("gelu", {"approximate": "tanh"}, ()),
    ("silu", {}, ()),
    ("softplus", {}, ()),
    ("softplus", {"beta": 2.0, "threshold": 3.0}, (1.5,)),   # linear beyond β·x = threshold
    ("softplus", {"beta": -0.5}, ()),
]
ACTIVATION_ROWS = [
    Op(name + "".join(f"-{k}={v}" for k, v in kwargs.items()), functional(name),
       (away_from_kinks((4, 5, 6), kinks, seed=1),), kwargs,
       ALL | FORMS if name in ("relu", "gelu") else ALL)
    for name, kwargs, kinks in ACTIVATIONS
] + [
    Op(f"{name}-dim{dim}", functional(name), (normal((3, 4, 5), 3, scale=3),), dict(dim=dim),
       ALL | FORMS)
    for name in ("softmax", "log_softmax") for dim in (0, 1, 2, -1, -3)
]

# ---------------------------------------------------------------- arithmetic and comparison

# (op name in both mc and torch, maker of the first input, maker of the second)
BINARY = [
    ("add", normal, normal),
    ("sub", normal, normal),
    ("mul", normal, normal),
    ("div", normal, nonzero),
    ("pow", positive, normal),
    ("maximum", off_integers, integers),
    ("minimum", off_integers, integers),
]
# a is positive (a valid base), b is away from zero (a valid denominator)
OPERATOR_EXPRESSIONS = ["a + b", "a - b", "a * b", "a / b", "a ** b", "-a", "-(a * b)",
                        "a + 2.5", "2.5 + a", "a - 2", "2 - a", "3 * a", "a * 3", "a / 4",
                        "2 / b", "a ** 2", "2 ** a", "a @ b.T", "pow(a, 2)"]


def expression(text):
    """fn evaluating `text` on tensors a and b, with pow as lib.pow."""
    return lambda lib, a, b: eval(text, {"pow": lib.pow}, {"a": a, "b": b})


ARITHMETIC_ROWS = [
    Op(f"{name}-broadcast", function(name), broadcast(make_a, make_b), checks=GRADCHECK | PARITY)
    for name, make_a, make_b in BINARY
] + [
    Op(f"{name}-alpha-{kind}", function(name), (normal((3, 4), 0), other), dict(alpha=2.5))
    for name in ("add", "sub") for kind, other in (("tensor", normal((4,), 1)), ("scalar", 1.5))
] + [
    Op(f"pow-exponent{exponent}", lambda lib, x, exponent: x ** exponent, (make((3, 4), 0),),
       dict(exponent=exponent))
    for exponent, make in [(2, normal), (3, normal), (-1, nonzero), (0, normal), (1.0, normal),
                           (0.5, positive), (-2.5, positive)]
] + [
    row for base in (2, 0.5, 3.0) for row in (
        Op(f"rpow-base{base}", lambda lib, x, base: base ** x, (normal((3, 4), 0),),
           dict(base=base)),
        Op(f"pow-base{base}", lambda lib, x, base: lib.pow(base, x), (normal((3, 4), 0),),
           dict(base=base)))
] + [
    Op("pow-0d-tensor-exponent", lambda lib, x, p: x ** p, (positive((2, 3), 0), np.array(1.7))),
] + [
    Op("operator-" + text.replace(" ", ""), expression(text),
       (positive((3, 4), 0), nonzero((3, 4), 1)))
    for text in OPERATOR_EXPRESSIONS
] + [
    Op("where-broadcast", function("where"), broadcast(condition, normal, normal),
       checks=GRADCHECK | PARITY),
    Op("where-scalar-branch", lambda lib, t: lib.where(t > 0, t, 0.0), (normal((3, 4), 0),)),
    Op("neg", function("neg"), (normal((3, 4), 0),)),
    Op("clone", function("clone"), (normal((3, 4), 0),)),
]

# values from {-2, ..., 2}, so that equal elements are common
COMPARISON_ROWS = [
    Op(name, function(name), (integers((3, 4), 0, -2, 3), integers((4,), 1, -2, 3)),
       checks=FORWARD)
    for name in ("eq", "ne", "lt", "le", "gt", "ge")
]

# ---------------------------------------------------------------- elementwise math

UNARY = [  # (name in mc and torch, keyword arguments, input maker keeping away from kinks/poles)
    ("exp", {}, normal),
    ("log", {}, lambda shape: positive(shape, low=0.3, high=3.0)),
    ("sqrt", {}, lambda shape: positive(shape, low=0.3, high=3.0)),
    ("rsqrt", {}, lambda shape: positive(shape, low=0.3, high=3.0)),
    ("log1p", {}, lambda shape: positive(shape, low=-0.7, high=3.0)),
    ("sin", {}, lambda shape: normal(shape, scale=3)),
    ("cos", {}, lambda shape: normal(shape, scale=3)),
    ("sinh", {}, normal),
    ("cosh", {}, normal),
    ("abs", {}, off_integers),
    ("clamp", {"min": -1}, off_integers),
    ("clamp", {"max": 1}, off_integers),
    ("clamp", {"min": -1, "max": 1}, off_integers),
]
UNARY_ROWS = [
    Op(name + "".join(f"-{k}" for k in kwargs) + "-" + shape_id(shape),
       function_and_method(name), (make(shape),), kwargs)
    for name, kwargs, make in UNARY for shape in [(), (5,), (2, 3, 4)]
]

# ---------------------------------------------------------------- convolution

CONV_CONFIGS = {
    "plain": dict(x=(2, 2, 5, 4), w=(3, 2, 3, 2), bias=True, stride=(1, 1), padding=(1, 0),
                  dilation=(1, 1), groups=1),
    "grouped-dilated": dict(x=(1, 4, 6, 5), w=(4, 2, 2, 3), bias=True, stride=(2, 1),
                            padding=(1, 1), dilation=(2, 1), groups=2),
    "depthwise-multiplier": dict(x=(2, 3, 5, 5), w=(6, 1, 3, 3), bias=False, stride=(1, 2),
                                 padding=(1, 1), dilation=(1, 1), groups=3),
    "pointwise": dict(x=(2, 3, 4, 4), w=(2, 3, 1, 1), bias=True, stride=(1, 1),
                      padding=(0, 0), dilation=(1, 1), groups=1),
}
SAME_PADDING = [((3, 3), 1), ((1, 7), 1), ((7, 1), 1), ((4, 4), 1), ((2, 3), (2, 1))]
CONV_CHECKS = ALL | FORMS
conv2d = functional("conv2d")
CONV_ROWS = [
    Op("conv2d-drawn", conv2d, conv_config().map(conv_case), checks=PARITY, atol=1e-4,
       examples=200),
    Op("conv_transpose2d-drawn", functional("conv_transpose2d"),
       conv_transpose_config().map(lambda cfg: conv_case(cfg, transpose=True)), checks=PARITY,
       atol=1e-4, examples=200),
] + [
    Op(f"conv2d-{name}", conv2d, *conv_case(cfg), checks=CONV_CHECKS, atol=1e-4)
    for name, cfg in CONV_CONFIGS.items()
] + [
    Op("conv_transpose2d-stride2-pad1-outpad1-groups2", functional("conv_transpose2d"),
       (normal((1, 4, 3, 4), 0), normal((4, 3, 3, 2), 1), normal((6,), 2)),
       dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1), CONV_CHECKS,
       atol=1e-4),
    Op("conv2d-stride2-pad1-direction", conv2d,
       (normal((2, 8, 12, 12), 0), normal((16, 8, 3, 3), 1)), dict(stride=2, padding=1),
       CONV_CHECKS, atol=1e-4, gradcheck=dict(mode="direction")),
] + [
    Op(f"conv2d-same-{shape_id(kernel)}-dilation{shape_id(np.atleast_1d(dilation))}", conv2d,
       (normal((2, 3, 9, 8), 0), normal((4, 3) + kernel, 1)),
       dict(padding="same", dilation=dilation), PARITY | DTYPE | FORMS, atol=1e-4)
    for kernel, dilation in SAME_PADDING
] + [
    Op("conv2d-valid-unbatched", conv2d, (normal((3, 6, 6), 0), normal((2, 3, 3, 3), 1)),
       dict(padding="valid"), PARITY | DTYPE | FORMS, atol=1e-4),
    Op("conv2d-1x1", conv2d, (normal((3, 6, 9, 8), 0), normal((4, 6, 1, 1), 1),
                              normal((4,), 2)), checks=PARITY | DTYPE, atol=1e-4),
    Op("conv2d-1x1-nobias", conv2d, (normal((3, 6, 9, 8), 0), normal((4, 6, 1, 1), 1)),
       checks=PARITY | DTYPE, atol=1e-4),
    Op("conv2d-pointwise-path", lambda lib, x, w, b: Conv2dPointwise.apply(x, w, b),
       (normal((2, 3, 2, 3), 0), normal((4, 3, 1, 1), 1), normal((4,), 2)), torch_fn=conv2d,
       atol=1e-4),
    Op("conv2d-3x3-winograd", conv2d,
       (normal((2, MIN_CHANNELS, 7, 7), 0), normal((6, MIN_CHANNELS, 3, 3), 1)),
       dict(padding=1), PARITY | DTYPE | FORMS, atol=1e-4),
] + [
    Op(f"conv2d-winograd-path-groups{groups}",
       lambda lib, *arrays, **kwargs: Conv2dWinograd.apply(*arrays, **kwargs),
       (normal((2, 4, 5, 6), 0), normal((6, 4 // groups, 3, 3), 1), normal((6,), 2)),
       dict(padding=(1, 2), groups=groups), CONV_CHECKS, torch_fn=conv2d, atol=1e-4,
       on_cuda=False)
    for groups in (1, 2)
]

# ---------------------------------------------------------------- pooling

POOL_INPUT = (untied((2, 2, 5, 7)),)
POOLING_ROWS = [
    Op("max_pool2d-drawn", functional("max_pool2d"), max_pool_config(),
       dict(return_indices=True), PARITY, examples=200),
    Op("avg_pool2d-drawn", functional("avg_pool2d"), avg_pool_config(), checks=PARITY,
       examples=200),
    Op("adaptive_avg_pool2d-drawn", functional("adaptive_avg_pool2d"), adaptive_pool_config(),
       checks=PARITY, examples=200),
    Op("adaptive_max_pool2d-drawn", functional("adaptive_max_pool2d"), adaptive_pool_config(),
       dict(return_indices=True), PARITY, examples=200),
    Op("max_unpool2d-drawn", functional("max_unpool2d"), unpool_config(), checks=PARITY,
       examples=200),
    Op("max_pool2d-k3-s2-p1-dilation1x2-ceil", functional("max_pool2d"), POOL_INPUT,
       dict(kernel_size=3, stride=2, padding=1, dilation=(1, 2), ceil_mode=True),
       ALL | FORMS),
    Op("avg_pool2d-k3x2-s2x1-p1-ceil-exclude-pad", functional("avg_pool2d"), POOL_INPUT,
       dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True,
            count_include_pad=False), ALL | FORMS),
    Op("adaptive_avg_pool2d-2x3", functional("adaptive_avg_pool2d"), POOL_INPUT,
       dict(output_size=(2, 3))),
    Op("adaptive_max_pool2d-2x3", functional("adaptive_max_pool2d"), POOL_INPUT,
       dict(output_size=(2, 3)), ALL | FORMS),
    Op("global_avg_pool2d", functional("global_avg_pool2d"), POOL_INPUT,
       torch_fn=lambda lib, x: x.mean((2, 3), keepdim=True), rtol=1e-6),
    Op("max_pool2d-k2-unbatched", functional("max_pool2d"), (untied((3, 6, 6)),),
       dict(kernel_size=2), PARITY | DTYPE | FORMS),
]

# ---------------------------------------------------------------- normalization

BN_SHAPES = {"NC": (5, 3), "NCL": (4, 3, 5), "NCHW": (2, 3, 4, 3), "NCDHW": (2, 2, 3, 2, 2)}
LN_CASES = {"2d-int": ((4, 5), 5), "3d-last": ((2, 3, 4), (4,)), "3d-last2": ((2, 3, 4), (3, 4)),
            "4d-list": ((3, 2, 2, 3), [2, 2, 3])}
GN_CASES = {"NC-G2": ((3, 4), 2), "NCL-G3": ((2, 6, 3), 3), "NCHW-G2": ((2, 4, 3, 2), 2),
            "NCHW-instance": ((2, 4, 2, 2), 4), "NCHW-layer": ((2, 3, 2, 2), 1)}
LRN_SHAPES = {"3d": (2, 6, 3), "4d": (2, 5, 2, 3), "5d": (2, 4, 2, 2, 3)}
NORM_CHECKS = ALL | FORMS
# (alpha, beta, k) and checks: alpha = 1 makes the window's sum dominate, so a window off by
# one channel fails there even where it passes at alpha = 1e-4
LRN_PARITY = PARITY | DTYPE | FORMS
LRN_PARAMS = [((1e-4, 0.75, 1.0), LRN_PARITY), ((1.0, 0.75, 1.0), LRN_PARITY),
              ((1.0, 0.5, 2.0), LRN_PARITY), ((1e-4, 0.75, 2.0), NORM_CHECKS),
              ((1.0, 0.75, 2.0), NORM_CHECKS)]
batch_norm = functional("batch_norm")
STATS = (True, False, False, True, True)  # x, running mean and variance, weight, bias


def layer_norm(lib, x, *affine, normalized_shape, **kwargs):
    """layer_norm with normalized_shape given as an int or a list (minicnn takes either;
    PyTorch a tuple)."""
    if lib is not mc:
        normalized_shape = tuple(np.atleast_1d(normalized_shape).tolist())
    return lib.nn.functional.layer_norm(x, normalized_shape, *affine, **kwargs)


def group_norm(lib, x, *affine, num_groups, **kwargs):
    return lib.nn.functional.group_norm(x, num_groups, *affine, **kwargs)


def _batch_norm_rows(name, shape):
    C = shape[1]
    stats, affine = (normal((C,), 3), positive((C,), 4)), (positive((C,), 1), normal((C,), 2))
    x = normal(shape, 0, scale=3, shift=1)
    return [
        Op(f"batch_norm-{name}-train", batch_norm, (x, *stats, *affine), dict(training=True),
           NORM_CHECKS, requires_grad=STATS),
        Op(f"batch_norm-{name}-eval", batch_norm, (x, *stats, *affine), dict(training=False),
           NORM_CHECKS, requires_grad=STATS),
        Op(f"batch_norm-{name}-train-noaffine", batch_norm, (normal(shape, 0), None, None),
           dict(training=True), NORM_CHECKS),
        Op(f"batch_norm-{name}-eval-noaffine", batch_norm, (normal(shape, 5), *stats),
           dict(training=False), NORM_CHECKS, requires_grad=STATS[:3]),
    ]


def _layer_norm_rows(name, shape, normalized):
    wshape = tuple(np.atleast_1d(normalized).tolist())
    return [
        Op(f"layer_norm-{name}", layer_norm,
           (normal(shape, 0, scale=2, shift=-1), positive(wshape, 1), normal(wshape, 2)),
           dict(normalized_shape=normalized, eps=1e-3), NORM_CHECKS),
        Op(f"layer_norm-{name}-noaffine", layer_norm, (normal(shape, 3),),
           dict(normalized_shape=normalized), NORM_CHECKS),
    ]


NORMALIZATION_ROWS = [
    row for name, shape in BN_SHAPES.items() for row in _batch_norm_rows(name, shape)
] + [
    row for name, (shape, normalized) in LN_CASES.items()
    for row in _layer_norm_rows(name, shape, normalized)
] + [
    row for name, (shape, groups) in GN_CASES.items() for row in (
        Op(f"group_norm-{name}", group_norm,
           (normal(shape, 0, scale=2, shift=1), positive(shape[1:2], 1), normal(shape[1:2], 2)),
           dict(num_groups=groups, eps=1e-3)),
        Op(f"group_norm-{name}-noaffine", group_norm, (normal(shape, 3),),
           dict(num_groups=groups)))
] + [
    Op(f"local_response_norm-{name}-size{size}-alpha{alpha}-beta{beta}-k{k}",
       functional("local_response_norm"), (normal(shape, size, scale=2),),
       dict(size=size, alpha=alpha, beta=beta, k=k), checks)
    for name, shape in LRN_SHAPES.items() for size in (1, 2, 3, 4, 5, 7)
    for (alpha, beta, k), checks in LRN_PARAMS
] + [
    # float64: on drawn shapes a channel or group may hold two values, where the gradient
    # (g − mean(g) − x̂·mean(g·x̂)) cancels to ~eps/var of its size and float32 rounding, in
    # PyTorch and here alike, reaches 1e-3. Float32 parity is checked on the fixed rows.
    Op("batch_norm-drawn", batch_norm, batch_norm_config(), checks=PARITY, rtol=1e-8,
       atol=1e-9, parity_dtype=np.float64, requires_grad=STATS, examples=200),
    Op("layer_norm-drawn", layer_norm, layer_norm_config(), checks=PARITY, rtol=1e-8,
       atol=1e-9, parity_dtype=np.float64, examples=200),
    Op("group_norm-drawn", group_norm, group_norm_config(), checks=PARITY, rtol=1e-8,
       atol=1e-9, parity_dtype=np.float64, examples=200),
    Op("local_response_norm-drawn", functional("local_response_norm"), lrn_config(),
       checks=PARITY, rtol=2e-4, atol=2e-5, examples=200),
]

# ---------------------------------------------------------------- reductions


def reduce(name, every_dim=False):
    """fn returning lib.<name>(x, dim, keepdim=...) and x.<name>(dim, keepdim=...);
    `every_dim` writes dim=None as the tuple of every dim (as PyTorch's amax wants)."""
    def fn(lib, x, dim, keepdim):
        if every_dim and dim is None:
            dim = tuple(range(x.ndim))
        return getattr(lib, name)(x, dim, keepdim=keepdim), getattr(x, name)(dim, keepdim=keepdim)
    return fn


def extremes(name):
    """fn returning the values and indices of lib.<name>(x, dim) and of x.<name>(dim)."""
    return lambda lib, x, dim, keepdim: (*getattr(lib, name)(x, dim, keepdim=keepdim),
                                         *getattr(x, name)(dim, keepdim=keepdim))


def deviation(name):
    """fn calling x.<name>(dim, correction=..., keepdim=...)."""
    return lambda lib, x, dim, keepdim, correction: getattr(x, name)(
        dim, correction=correction, keepdim=keepdim)


REDUCTION_ROWS = [
    Op(f"{name}-drawn", reduce(name),
       reduction_config(untied if name in ("amax", "amin") else normal),
       checks=GRADCHECK | PARITY, torch_fn=reduce(name, every_dim=True))
    for name in ("sum", "mean", "logsumexp", "amax", "amin")
] + [
    Op(f"{name}-correction-drawn", deviation(name), correction_config(),
       checks=GRADCHECK | PARITY)
    for name in ("var", "std")
] + [
    Op(f"{name}-dim1-unbiased{unbiased}", lambda lib, x, name, unbiased: (
        getattr(lib, name)(x, 1, unbiased=unbiased), getattr(x, name)(1, unbiased=unbiased)),
       (normal((4, 5), 2),), dict(name=name, unbiased=unbiased))
    for name in ("var", "std") for unbiased in (True, False)
] + [
    Op(f"{name}-dim{dim!r}", function(name), (untied((2, 3), 3),), dict(dim=dim),
       # torch 2.13 reduces everything in var's forward but its backward divides by 0
       GRADCHECK | FORWARD if name == "var" else PARITY)
    for name in ("sum", "mean", "var", "amax", "amin") for dim in ((), [])
] + [
    Op(f"{name}-all-{shape_id(shape)}", function_and_method(name), (untied(shape, 4),))
    for name in ("max", "min") for shape in [(7,), (3, 4), (2, 3, 2)]
] + [
    Op(f"{name}-dim-drawn", extremes(name), reduction_config(untied, single_dim=True),
       checks=GRADCHECK | PARITY)
    for name in ("max", "min")
] + [
    Op("max-0d-dim0", lambda lib, x: tuple(x.max(0)), (np.array(2.5),), checks=PARITY),
] + [
    # no equal pair, so the gradient is well-defined
    Op(f"{name}-elementwise", function(name), tuple(untied((2, 3, 4), 6)))
    for name in ("max", "min")
]


# ---------------------------------------------------------------- indexing and matmul

# name -> index(lib): built per library, so Tensor indices are minicnn or torch tensors
INDICES = {
    "int": lambda lib: 1,
    "negative-int": lambda lib: -1,
    "two-ints": lambda lib: (2, -3),
    "three-ints-0d-result": lambda lib: (3, 4, 0),
    "slice": lambda lib: slice(1, 3),
    "slice-with-step": lambda lib: slice(None, None, 2),
    "slices-with-steps": lambda lib: (slice(1, None, 2), slice(0, 5, 3)),
    "slice-past-the-end": lambda lib: (slice(2, 10), slice(-2, None)),
    "None": lambda lib: None,
    "None-between": lambda lib: (1, None, slice(None), None),
    "Ellipsis": lambda lib: (Ellipsis, 1),
    "Ellipsis-middle": lambda lib: (0, ..., slice(1, 3)),
    "Ellipsis-and-None": lambda lib: (None, ..., None),
    "int-array-repeated": lambda lib: [0, 2, 2, 0, 2],
    "int-array-negative": lambda lib: [-1, 0, -4],
    "int-array-2d": lambda lib: lib.tensor(np.array([[0, 1], [1, 3]])),
    "array-and-slice": lambda lib: ([0, 2], slice(1, 3)),
    "slice-and-array": lambda lib: (slice(None), [4, 0, 4]),
    "two-arrays": lambda lib: ([0, 1, 1], [2, 2, 2]),
    "arrays-broadcast": lambda lib: ([[0], [3]], slice(None), [0, 2, 0]),
    "array-and-int": lambda lib: (1, [3, 3]),
    "array-and-None": lambda lib: (None, [1, 1]),
    "Tensor-int64": lambda lib: lib.tensor(np.array([3, 1, 3])),
    "Tensor-0d": lambda lib: lib.tensor(np.array(2)),
    "Tensor-pair": lambda lib: (lib.tensor(np.array([0, 3])), slice(None),
                                lib.tensor(np.array([1, 1]))),
    "bool-mask-1d": lambda lib: lib.tensor(np.array([True, False, True, True])),
    "bool-mask-2d": lambda lib: lib.tensor(np.arange(20).reshape(4, 5) % 3 == 0),
    "bool-mask-and-slice": lambda lib: (slice(None),
                                        lib.tensor(np.array([1, 0, 0, 1, 1], bool))),
    "numpy-bool-mask": lambda lib: np.array([False, True, False, True]),
}


def torch_index(torch, index):
    """Plain Python indices stay; NumPy arrays become torch tensors (torch needs them so)."""
    if isinstance(index, tuple):
        return tuple(torch_index(torch, i) for i in index)
    return torch.tensor(index) if isinstance(index, np.ndarray) else index


def index_select(lib, x, dim, index):
    """Both forms: F.index_select(x, dim, index) (torch.index_select) and the method."""
    index = lib.tensor(np.array(index, dtype=np.int64), device=x.device)
    select = lib.index_select if lib is not mc else mc.nn.functional.index_select
    return select(x, dim, index), x.index_select(dim, index)


MATMUL_SHAPES = [
    ((3,), (3,)),                # dot product, 0-d result
    ((3,), (3, 4)),              # vector · matrix
    ((2, 3), (3,)),              # matrix · vector
    ((2, 3), (3, 4)),
    ((2, 1, 3, 4), (5, 4, 2)),   # batch dims broadcast to (2, 5)
    ((4,), (2, 4, 3)),           # vector against a batch
    ((2, 3, 4), (4,)),
    ((1, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (1, 4, 5)),
    ((2, 1, 3, 4), (1, 5, 4, 2)),  # size-1 batch dims on both sides
]
INDEXING_ROWS = [
    Op(f"getitem-{name}", lambda lib, x, index: x[index(lib)], (normal((4, 5, 3)),),
       dict(index=index), torch_fn=lambda lib, x, index: x[torch_index(lib, index(lib))])
    for name, index in INDICES.items()
] + [
    Op(f"getitem-bool-mask-on-size-1-{mask}", lambda lib, x, mask: x[lib.tensor(np.array(mask))],
       (normal((1, 3, 2)),), dict(mask=[mask]), PARITY | DTYPE)
    for mask in (True, False)
] + [
    Op("getitem-mask-from-values", lambda lib, x: x[x > 0.5] * 2, (normal((3, 4), 1),)),
    Op("getitem-drawn-int-list", lambda lib, x, index: x[index], integer_list_index(),
       checks=PARITY, torch_fn=lambda lib, x, index: x[lib.tensor(index, dtype=lib.int64)]),
] + [
    Op(f"index_select-dim{dim}-{index}", index_select, (normal((4, 5, 3)),),
       dict(dim=dim, index=index))
    for dim, index in [(0, [3, 0, 3]), (1, [4]), (-1, [2, 0, 1, 1]), (1, []), (0, 2)]
]
LINALG_ROWS = [
    Op(f"matmul-{shape_id(a)}@{shape_id(b)}",
       lambda lib, x, y: (lib.matmul(x, y), x @ y, x.matmul(y)), (normal(a, 0), normal(b, 1)))
    for a, b in MATMUL_SHAPES
] + [
    Op("matmul-drawn-batches", function("matmul"), batched_matmul(), checks=GRADCHECK | PARITY),
] + [
    Op(f"linear-{shape_id(x)}" + ("" if bias else "-nobias"), functional("linear"),
       (normal(x, 0), normal((5, 3), 1)) + ((normal((5,), 2),) if bias else ()))
    for x in [(3,), (2, 3), (2, 4, 3)] for bias in (True, False)
] + [
    Op("linear-frozen-weight", functional("linear"),
       (normal((2, 3), 0), normal((4, 3), 1), normal((4,), 2)),
       requires_grad=(True, False, True), torch_requires_grad=(False, True, False)),
    Op("mm", lambda lib, x, y: (lib.mm(x, y), x.mm(y)), (normal((2, 3), 0), normal((3, 4), 1))),
    Op("bmm", lambda lib, x, y: (lib.bmm(x, y), x.bmm(y)),
       (normal((2, 3, 4), 0), normal((2, 4, 5), 1))),
] + [
    # away from 0, where |x| has its kink (p = 1) and |x|^(p−1) its pole (p < 2)
    Op(f"norm-p{p}-dim{dim}-keepdim{keepdim}",
       lambda lib, x, p, dim, keepdim: (lib.norm(x, p, dim, keepdim), x.norm(p, dim, keepdim)),
       (nonzero((3, 4, 2), 20),), dict(p=p, dim=dim, keepdim=keepdim))
    for p in ("fro", 1, 2, 3, 0.5, float("inf"), float("-inf"))
    for dim, keepdim in ((None, False), (1, False), ((0, 2), True))
] + [
    Op(f"meshgrid-{indexing}", lambda lib, x, y, z, indexing: lib.meshgrid(x, y, z,
                                                                         indexing=indexing),
       (normal((3,), 0), normal((2,), 1), normal((4,), 2)), dict(indexing=indexing))
    for indexing in ("ij", "xy")
]

# ---------------------------------------------------------------- losses

# input shape, class-index target shape: (N, C), (N, C, d1, d2), unbatched (C,)
LOSS_LAYOUTS = {"batched": ((5, C), (5,)), "spatial": ((2, C, 3, 2), (2, 3, 2)),
                "unbatched": ((C,), ())}
REDUCTIONS = ["none", "mean", "sum"]
TARGET = (True, False, True)      # minicnn differentiates the class weight; torch refuses to


def bce_with_logits(lib, x, y, weight, pos_weight, **kwargs):
    return lib.nn.functional.binary_cross_entropy_with_logits(x, y, weight=weight,
                                                              pos_weight=pos_weight, **kwargs)


def _class_index_rows(op, smoothing):
    return [
        Op(f"{op}-{layout}-{'w' if weight else 'now'}-{'ign' if ignore else 'noign'}-"
           f"{reduction}" + (f"-ls{smoothing}" if smoothing else ""), functional(op),
           (normal(x_shape, 3), labels(t_shape), class_weight() if weight else None),
           dict(reduction=reduction, **(dict(ignore_index=IGNORED) if ignore else {}),
                **(dict(label_smoothing=smoothing) if smoothing else {})),
           requires_grad=TARGET, torch_requires_grad=(True, False, False))
        for layout, (x_shape, t_shape) in LOSS_LAYOUTS.items() for weight in (False, True)
        for ignore in (False, True) for reduction in REDUCTIONS
    ]


LOSS_ROWS = [
    *_class_index_rows("cross_entropy", 0.0), *_class_index_rows("cross_entropy", 0.2),
    *_class_index_rows("nll_loss", 0.0),
    # logits and the loss reach 1e4, where float32 spacing is ~1e-3: compare relatively
    Op("cross_entropy-huge-logits", functional("cross_entropy"),
       (normal((6, 10), 5, scale=1e4), np.arange(6)), dict(reduction="none"), PARITY,
       atol=1e-3),
] + [
    Op(f"cross_entropy-probs-{layout}-{'w' if weight else 'now'}-ls{smoothing}-{reduction}",
       functional("cross_entropy"),
       (normal(x_shape, 6), probabilities(x_shape), class_weight() if weight else None),
       dict(reduction=reduction, label_smoothing=smoothing),
       torch_requires_grad=(True, True, False))
    for layout, (x_shape, _) in LOSS_LAYOUTS.items() for weight in (False, True)
    for smoothing in (0.0, 0.3) for reduction in REDUCTIONS
] + [
    Op(f"{op}-{shape_id(shape)}-{reduction}", functional(op),
       (normal(shape, 8), normal(shape, 9)), dict(reduction=reduction))
    for op in ("mse_loss", "l1_loss") for reduction in REDUCTIONS
    for shape in [(3, 4), (2, 3, 2), ()]
] + [
    Op(f"{op}-{name}{threshold}-{shape_id(shape)}-{reduction}", functional(op),
       (normal(shape, 8, scale=2), normal(shape, 9)), {name: threshold, "reduction": reduction})
    for op, name, thresholds in (("smooth_l1_loss", "beta", (1.0, 0.5, 0.0)),
                                 ("huber_loss", "delta", (1.0, 2.5)))
    for threshold in thresholds for reduction in REDUCTIONS for shape in [(3, 4), ()]
] + [
    Op(f"binary_cross_entropy-{reduction}-weight{weight}", functional("binary_cross_entropy"),
       (positive((4, 3), 17, low=0.05, high=0.95), positive((4, 3), 18, low=0.0, high=1.0),
        {None: None, "full": positive((4, 3), 19), "row": positive((3,), 20)}[weight]),
       dict(reduction=reduction), torch_requires_grad=(True, True, False))
    for reduction in REDUCTIONS for weight in (None, "full", "row")
] + [
    # probabilities of exactly 0 and 1: the clamped logarithms keep the loss finite
    Op("binary_cross_entropy-edges", functional("binary_cross_entropy"),
       (np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([0.0, 1.0, 1.0, 0.0, 0.3])),
       dict(reduction="none"), FORWARD | DTYPE, requires_grad=(True, False)),
] + [
    Op(f"binary_cross_entropy_with_logits-{reduction}-weight{weight}-pos_weight{pos_weight}",
       bce_with_logits,
       (normal((4, 3), 9, scale=3), positive((4, 3), 10, low=0.0, high=1.0),
        {None: None, "full": positive((4, 3), 11), "row": positive((3,), 12)}[weight],
        positive((3,), 13, high=3.0) if pos_weight else None),
       dict(reduction=reduction), torch_requires_grad=(True, True, False, False))
    for reduction in REDUCTIONS for weight in (None, "full", "row")
    for pos_weight in (False, True)
] + [
    Op("binary_cross_entropy_with_logits-large-logits", bce_with_logits,
       (np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0]), np.array([1.0, 0.0, 0.5, 1.0, 0.0]),
        None, None), dict(reduction="none"), PARITY),
] + [
    Op(f"kl_div-log_target{log_target}-{reduction}", functional("kl_div"),
       (np.log(probabilities((3, 5), 14)), (np.log if log_target else np.asarray)(
           probabilities((3, 5), 15))), dict(reduction=reduction, log_target=log_target))
    for log_target in (False, True) for reduction in REDUCTIONS + ["batchmean"]
] + [
    # 0·log 0 = 0 in the forward; torch's target gradient there is nan (0/0), so only the
    # input's gradient is compared
    Op("kl_div-zero-target-probabilities", functional("kl_div"),
       (np.log(probabilities((2, 4), 16)), np.array([[0.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]])),
       dict(reduction="sum"), PARITY | DTYPE, requires_grad=(True, False)),
]

# ---------------------------------------------------------------- resampling and dropout

# size or scale_factor (and recompute_scale_factor): up, down, odd ratios, one axis each way,
# the out = in and out = 2·in special cases, and sizes of one.
RESIZES = [
    {"size": (9, 11)}, {"size": 7}, {"size": (2, 3)}, {"size": (1, 1)}, {"size": (5, 14)},
    {"size": (10, 12)}, {"size": (13, 4)},
    {"scale_factor": 2}, {"scale_factor": 0.5}, {"scale_factor": 1.7}, {"scale_factor": 2.2},
    {"scale_factor": (0.6, 3.0)}, {"scale_factor": 1.3}, {"scale_factor": 1 / 3},
    {"scale_factor": 2.2, "recompute_scale_factor": True},
    {"scale_factor": (0.7, 1.4), "recompute_scale_factor": True},
]
GRADCHECK_RESIZES = {"up": {"size": (7, 5)}, "down": {"size": (2, 3)},
                     "x1.5": {"scale_factor": 1.5}, "mixed": {"scale_factor": (0.5, 2.0)}}
MODE_IDS = ["nearest", "bilinear", "bilinear-align"]


def resize_id(resize):
    """size9x11, scale0.333, scale2.2-recompute ..."""
    return "-".join("recompute" if key == "recompute_scale_factor" else key.split("_")[0]
                    + "x".join(f"{v:.3g}" for v in np.atleast_1d(value))
                    for key, value in resize.items())


RESAMPLE_ROWS = [
    # untied values: a source position off by one cannot hide
    Op(f"interpolate-{mode_id}-{resize_id(resize)}", functional("interpolate"),
       (untied((2, 3, 5, 6)),), dict(resize, mode=mode, align_corners=align_corners),
       PARITY | DTYPE)
    for (mode, align_corners), mode_id in zip(INTERPOLATION_MODES, MODE_IDS)
    for resize in RESIZES
] + [
    Op(f"interpolate-{mode_id}-{name}", functional("interpolate"), (normal((2, 2, 4, 3)),),
       dict(resize, mode=mode, align_corners=align_corners))
    for (mode, align_corners), mode_id in zip(INTERPOLATION_MODES, MODE_IDS)
    for name, resize in GRADCHECK_RESIZES.items()
] + [
    Op("interpolate-drawn", functional("interpolate"), interpolate_config(), checks=PARITY,
       examples=200),
    Op("dropout-p0.4", seeded("dropout", 3), (normal((4, 5)),), dict(p=0.4),
       GRADCHECK | DTYPE),
    Op("dropout2d-p0.4", seeded("dropout2d", 3), (normal((2, 4, 2, 3)),), dict(p=0.4),
       GRADCHECK | DTYPE),
]

# ---------------------------------------------------------------- shape ops

# input shape, fn(lib, x): the ops with one input
SINGLE_INPUT = {
    "reshape-infer-last": ((2, 3, 4), lambda lib, x: x.reshape(6, -1)),
    "reshape-infer-first": ((2, 3, 4), lambda lib, x: lib.reshape(x, (-1, 2, 2))),
    "reshape-flat": ((2, 3, 4), lambda lib, x: x.reshape(-1)),
    "reshape-to-0d": ((1, 1), lambda lib, x: x.reshape(())),
    "view": ((2, 3, 4), lambda lib, x: x.view(3, 1, 8)),
    "view-tuple": ((6,), lambda lib, x: x.view((2, 3))),
    "transpose": ((2, 3, 4), lambda lib, x: lib.transpose(x, 0, 2)),
    "transpose-negative": ((2, 3, 4), lambda lib, x: x.transpose(-1, -2)),
    "t": ((2, 3), lambda lib, x: x.t()),
    "T-2d": ((2, 3), lambda lib, x: x.T),
    "T-3d": ((2, 3, 4), lambda lib, x: x.T if lib is mc else x.permute(2, 1, 0)),
    "flatten-all": ((2, 3, 4), lambda lib, x: lib.flatten(x)),
    "flatten-from-1": ((2, 3, 4, 2), lambda lib, x: x.flatten(1)),
    "flatten-middle": ((2, 3, 4, 2), lambda lib, x: x.flatten(1, 2)),
    "flatten-negative": ((2, 3, 4, 2), lambda lib, x: x.flatten(-3, -2)),
    "flatten-one-dim": ((2, 3, 4), lambda lib, x: x.flatten(1, 1)),
    "flatten-0d": ((), lambda lib, x: x.flatten()),
    "squeeze-all": ((1, 3, 1, 2), lambda lib, x: lib.squeeze(x)),
    "squeeze-one": ((1, 3, 1, 2), lambda lib, x: x.squeeze(2)),
    "squeeze-negative": ((1, 3, 1, 2), lambda lib, x: x.squeeze(-4)),
    "squeeze-non-1-is-a-no-op": ((1, 3, 1, 2), lambda lib, x: x.squeeze(1)),
    "squeeze-tuple": ((1, 3, 1, 2), lambda lib, x: x.squeeze((0, 2, 3))),
    "unsqueeze-0": ((2, 3), lambda lib, x: lib.unsqueeze(x, 0)),
    "unsqueeze-end": ((2, 3), lambda lib, x: x.unsqueeze(2)),
    "unsqueeze--1": ((2, 3), lambda lib, x: x.unsqueeze(-1)),
    "unsqueeze--3": ((2, 3), lambda lib, x: x.unsqueeze(-3)),
    "expand": ((3, 1), lambda lib, x: x.expand(3, 4)),
    "expand--1-and-new-dims": ((3, 1), lambda lib, x: x.expand(2, 5, -1, 4)),
    "expand-tuple": ((1, 2, 1), lambda lib, x: lib.expand(x, (3, 2, 2)) if lib is mc
                     else x.expand((3, 2, 2))),
    "expand-0d": ((), lambda lib, x: x.expand(2, 3)),
    "expand_as": ((3, 1), lambda lib, x: x.expand_as(lib.zeros(2, 3, 4))),
    "repeat": ((2, 3), lambda lib, x: x.repeat(2, 3)),
    "repeat-ones": ((2, 3), lambda lib, x: x.repeat(1, 1)),
    "repeat-more-than-dims": ((2, 3), lambda lib, x: x.repeat(2, 1, 2, 3)),
    "repeat-tuple": ((2,), lambda lib, x: lib.repeat(x, (3, 2)) if lib is mc
                     else x.repeat((3, 2))),
    "pad-last-dim": ((2, 3), lambda lib, x: lib.nn.functional.pad(x, (1, 2))),
    "pad-two-dims": ((2, 3, 4), lambda lib, x: lib.nn.functional.pad(x, (0, 1, 2, 0))),
    "pad-value": ((2, 3), lambda lib, x: lib.nn.functional.pad(x, (1, 1, 1, 1), value=-2.5)),
    "pad-all-dims": ((2, 3), lambda lib, x: lib.nn.functional.pad(x, (1, 0, 0, 1))),
    "pad-negative-crops": ((3, 5), lambda lib, x: lib.nn.functional.pad(x, (-1, -2, 0, -1))),
    "pad-mixed": ((3, 5), lambda lib, x: lib.nn.functional.pad(x, (-2, 1, 2, -1), value=3.0)),
    "pad-zero": ((3, 5), lambda lib, x: lib.nn.functional.pad(x, (0, 0))),
    "contiguous-of-transposed": ((2, 3), lambda lib, x: x.t().contiguous()),
}
# input shapes, fn(lib, *tensors): the ops that join or split (their pieces are compared one
# by one: count, shape, values, gradients)
JOIN_AND_SPLIT = {
    "cat-dim-0": ([(2, 3), (1, 3), (4, 3)], lambda lib, *t: lib.cat(t)),
    "cat-dim--1": ([(2, 3), (2, 1), (2, 2)], lambda lib, *t: lib.cat(list(t), dim=-1)),
    "cat-middle": ([(2, 1, 3), (2, 4, 3)], lambda lib, *t: lib.cat(t, 1)),
    "cat-one-tensor": ([(2, 3)], lambda lib, *t: lib.cat(t, 1)),
    "stack-0": ([(2, 3)] * 3, lambda lib, *t: lib.stack(t)),
    "stack--1": ([(2, 3)] * 2, lambda lib, *t: lib.stack(list(t), dim=-1)),
    "stack-middle": ([(2, 3)] * 2, lambda lib, *t: lib.stack(t, 1)),
    "split-size-even": ([(6, 2)], lambda lib, x: lib.split(x, 2)),
    "split-size-uneven": ([(2, 7)], lambda lib, x: x.split(3, dim=1)),
    "split-size-larger": ([(2, 3)], lambda lib, x: x.split(5, dim=-1)),
    "split-sections": ([(2, 6)], lambda lib, x: lib.split(x, [1, 3, 2], dim=-1)),
    "split-sections-with-0": ([(5, 2)], lambda lib, x: x.split([2, 0, 3])),
    "chunk-even": ([(6, 2)], lambda lib, x: lib.chunk(x, 3)),
    "chunk-uneven": ([(2, 5)], lambda lib, x: x.chunk(3, dim=1)),       # 2, 2, 1
    "chunk-fewer-pieces": ([(6, 2)], lambda lib, x: x.chunk(4)),         # 2, 2, 2
    "chunk-more-than-size": ([(2, 3)], lambda lib, x: x.chunk(5, -1)),    # 1, 1, 1
    "unbind-0": ([(3, 2)], lambda lib, x: lib.unbind(x)),
    "unbind--1": ([(2, 3, 4)], lambda lib, x: x.unbind(-1)),
    "split-one-piece-used": ([(2, 7)], lambda lib, x: x.split(3, 1)[1] * 2),
}
SHAPE_ROWS = [
    Op(name, fn, (normal(shape),)) for name, (shape, fn) in SINGLE_INPUT.items()
] + [
    Op(name, fn, tuple(normal(shape, i) for i, shape in enumerate(shapes)))
    for name, (shapes, fn) in JOIN_AND_SPLIT.items()
] + [
    Op("permute-drawn", lambda lib, x, dims: (x.permute(*dims), lib.permute(x, dims)),
       permutation(), checks=GRADCHECK | PARITY),
    Op("transpose-drawn", function("transpose"), two_dims(), checks=GRADCHECK | PARITY),
    Op("reshape-drawn", lambda lib, x, first: x.reshape(first, -1, 1), factorisation(),
       checks=GRADCHECK | PARITY),
]

# ---------------------------------------------------------------- attention

sdpa = functional("scaled_dot_product_attention")


def masked_sdpa(lib, q, k, v, mask=None, **kwargs):
    return lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kwargs)


def _fully_masked_row():
    mask = bool_mask((3, 5), seed=3)
    mask[1] = False  # this row attends nowhere: zero output, zero gradients
    return mask


SDPA_CHECKS = ALL | FORMS
ATTENTION_ROWS = [
    Op("sdpa-plain", sdpa, qkv(), checks=SDPA_CHECKS, atol=2e-5),
    Op("sdpa-scale0.7-broadcast-batch", sdpa,
       (normal((2, 1, 3, 4), 0), normal((3, 5, 4), 1), normal((5, 2), 2)), dict(scale=0.7),
       SDPA_CHECKS, atol=2e-5),
    Op("sdpa-bool-mask-fully-masked-row", masked_sdpa, qkv() + (_fully_masked_row(),),
       checks=SDPA_CHECKS, atol=2e-5),
    # a float mask gets a gradient too
    Op("sdpa-float-mask", masked_sdpa, qkv() + (normal((2, 1, 5), 4),), checks=SDPA_CHECKS,
       atol=2e-5),
] + [
    Op(f"sdpa-causal-L{L}-S{S}", sdpa, qkv(L=L, S=S), dict(is_causal=True), SDPA_CHECKS,
       atol=2e-5)
    for L, S in [(4, 4), (3, 5), (5, 3)]
] + [
    Op("sdpa-mask-scale0.3-direction", masked_sdpa,
       qkv(batch=(2, 3), L=9, S=11, E=8, Ev=6) + (normal((9, 11), 5),), dict(scale=0.3),
       SDPA_CHECKS, atol=2e-5, gradcheck=dict(mode="direction", directions=4)),
    Op("sdpa-dropout0.4", seeded("scaled_dot_product_attention", 11), qkv(),
       dict(dropout_p=0.4), GRADCHECK | DTYPE),
    Op("sdpa-drawn", masked_sdpa, attention_config(), checks=PARITY, atol=2e-5, examples=200),
    # the benchmark's shape (timings live in benchmarks/)
    Op("sdpa-causal-B32-h4-L65-d32", sdpa, qkv(batch=(32, 4), L=65, S=65, E=32, Ev=32),
       dict(is_causal=True), PARITY),
]

OPS = (ACTIVATION_ROWS + ARITHMETIC_ROWS + COMPARISON_ROWS + UNARY_ROWS + CONV_ROWS
       + POOLING_ROWS + NORMALIZATION_ROWS + REDUCTION_ROWS + INDEXING_ROWS + LINALG_ROWS
       + LOSS_ROWS + RESAMPLE_ROWS + SHAPE_ROWS + ATTENTION_ROWS)
assert len({op.id for op in OPS}) == len(OPS), "op table ids repeat"
