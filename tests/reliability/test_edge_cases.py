"""Every op on PyTorch's own kinds of edge cases, against PyTorch itself.

Each row runs one call in both libraries on the same inputs: 0-d tensors, empty tensors,
non-contiguous views, broadcasting, integer and mixed dtypes, and every documented form of
the arguments. Where PyTorch returns, minicnn must return the same shape, dtype and values
(NaN where PyTorch has NaN), and, for floating results, the same gradient for every input
under one fixed upstream gradient. Where PyTorch raises, minicnn must raise too, with its
own error (not an exception from inside NumPy).

Deliberate differences, left out of the tables: minicnn rejects softmax without `dim`
(PyTorch's deprecated implicit choice) and mse_loss/l1_loss with a target that only
broadcasts to the input (PyTorch warns that the result is likely wrong); it accepts an int
normalized_shape in F.layer_norm, as nn.LayerNorm does. On inputs with no spatial element,
group_norm returns the empty result PyTorch gave up to 2.13 (2.14 raises); test_nn_ops' tail
checks it apart from PyTorch.
"""
import math
import os
import traceback
import warnings

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as mF

torch = pytest.importorskip("torch")
tF = torch.nn.functional


class Lib:
    """One library seen through one interface: `L.sum`, `L.F.softmax`, `L.nn.Conv2d`."""

    def __init__(self, module, functional):
        self.module, self.F, self.nn = module, functional, module.nn

    def __getattr__(self, name):
        return getattr(self.module, name)


MC, TORCH = Lib(mc, mF), Lib(torch, tF)


class Many(list):
    """Arrays passed as one list of tensors (cat, stack)."""


def rand(*shape, dtype=np.float32, seed=0, low=-2.0, high=2.0):
    rng = np.random.default_rng(seed + sum(shape) + len(shape))
    return rng.uniform(low, high, size=shape).astype(dtype)


def pos(*shape, dtype=np.float32, seed=0):
    return rand(*shape, dtype=dtype, seed=seed, low=0.5, high=2.0)


def ints(*shape, low=-3, high=4, dtype=np.int64, seed=0):
    return np.random.default_rng(seed + sum(shape)).integers(low, high, size=shape).astype(dtype)


S = np.array(1.25, np.float32)            # 0-d
SI = np.array(3, np.int64)                # 0-d int
V = rand(5)
M = rand(3, 4)
M64 = rand(3, 4, dtype=np.float64)
MI = ints(3, 4)
MB = rand(3, 4) > 0
B3 = rand(2, 3, 4)
E = np.zeros(0, np.float32)               # empty 1-D
E03 = np.zeros((0, 3), np.float32)
E30 = np.zeros((3, 0), np.float32)
E040 = np.zeros((0, 4, 0), np.float32)
IMG = rand(2, 3, 6, 6)
IMG0 = np.zeros((0, 3, 6, 6), np.float32)  # an empty batch of images


def case(name, fn, *inputs, grad=True, raises=False, rtol=1e-4, atol=1e-5):
    """One row: `fn(L, *tensors)` on `inputs` (arrays become tensors, floating ones requiring
    grad when `grad`); `raises` says that PyTorch rejects the call."""
    return pytest.param(fn, inputs, dict(grad=grad, raises=raises, rtol=rtol, atol=atol),
                        id=name)


def _tensor(L, array, grad):
    requires = grad and array.dtype.kind == "f"
    if L is TORCH:
        return torch.tensor(array.copy(), requires_grad=requires)
    return mc.tensor(array.copy(), requires_grad=requires)


def _inputs(L, inputs, grad):
    made, leaves = [], []
    for value in inputs:
        if isinstance(value, Many):
            tensors = [_tensor(L, a, grad) for a in value]
            made.append(tensors)
            leaves.extend(tensors)
        elif isinstance(value, np.ndarray):
            made.append(_tensor(L, value, grad))
            leaves.append(made[-1])
        else:
            made.append(value)
    return made, leaves


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [o for item in out for o in _flat(item)]
    return [out]


def _array(x):
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, mc.Tensor):
        return np.asarray(x.detach().numpy())
    return np.asarray(x)


def _run(L, fn, inputs, grad):
    tensors, leaves = _inputs(L, inputs, grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(L, *tensors)
    return out, leaves


def _from_numpy_internals(error):
    """Whether an exception was raised inside NumPy rather than by minicnn's own checks."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and f"{os.sep}numpy{os.sep}" in frames[-1].filename


def _upstream(shape, dtype):
    n = math.prod(shape)
    return np.linspace(0.5, 1.5, n).reshape(shape).astype(dtype) if n else \
        np.zeros(shape, dtype)


def _backward(L, outs, leaves):
    loss = None
    for o in outs:
        differentiable = isinstance(o, (torch.Tensor, mc.Tensor)) and o.requires_grad
        if differentiable and _array(o).dtype.kind == "f":
            term = (o * _tensor(L, _upstream(tuple(o.shape), _array(o).dtype), False)).sum()
            loss = term if loss is None else loss + term
    if loss is None:
        return None
    loss.backward()
    return [None if t.grad is None else _array(t.grad) for t in leaves]


def _compare(got, expected, rtol, atol, what):
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype} != {expected.dtype}"
    if got.dtype.kind in "fc":
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=what)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=what)


def check_against_torch(fn, inputs, how):
    grad, rtol, atol = how["grad"], how["rtol"], how["atol"]
    try:
        expected, torch_leaves = _run(TORCH, fn, inputs, grad)
    except Exception as torch_error:
        assert how["raises"], f"PyTorch raises {type(torch_error).__name__}: {torch_error}"
        with pytest.raises(Exception) as info:
            _run(MC, fn, inputs, grad)
        assert not _from_numpy_internals(info.value), (
            f"PyTorch raises {type(torch_error).__name__}: {torch_error}; minicnn raises from "
            f"inside NumPy: {type(info.value).__name__}: {info.value}")
        return
    assert not how["raises"], "PyTorch does not raise"
    got, mc_leaves = _run(MC, fn, inputs, grad)
    expected, got = _flat(expected), _flat(got)
    assert len(got) == len(expected), f"{len(got)} outputs, PyTorch gives {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        assert type(g) is not torch.Tensor
        if isinstance(e, torch.Tensor):
            assert isinstance(g, mc.Tensor), f"output {i} is {type(g).__name__}, not a Tensor"
        _compare(_array(g), _array(e), rtol, atol, f"output {i}")
    if not grad:
        return
    expected_grads = _backward(TORCH, expected, torch_leaves)
    if expected_grads is None:
        return
    got_grads = _backward(MC, got, mc_leaves)
    assert got_grads is not None, "minicnn's result does not require grad"
    for i, (g, e, leaf) in enumerate(zip(got_grads, expected_grads, torch_leaves)):
        if e is None:
            e = np.zeros(tuple(leaf.shape), _array(leaf).dtype)
        if g is None:
            g = np.zeros_like(e)
        _compare(g, e, rtol, atol, f"gradient of input {i}")


# ---- elementwise: every kind of input through every unary op ----------------------------------

UNARY = {
    "exp": lambda L, x: L.exp(x), "log": lambda L, x: L.log(x), "sqrt": lambda L, x: L.sqrt(x),
    "rsqrt": lambda L, x: L.rsqrt(x), "abs": lambda L, x: L.abs(x), "neg": lambda L, x: -x,
    "relu": lambda L, x: L.F.relu(x), "sigmoid": lambda L, x: L.sigmoid(x),
    "tanh": lambda L, x: L.tanh(x), "gelu": lambda L, x: L.F.gelu(x),
    "gelu_tanh": lambda L, x: L.F.gelu(x, approximate="tanh"), "silu": lambda L, x: L.F.silu(x),
    "elu": lambda L, x: L.F.elu(x, 0.5), "leaky_relu": lambda L, x: L.F.leaky_relu(x, 0.2),
    "hardtanh": lambda L, x: L.F.hardtanh(x, -0.5, 0.5), "relu6": lambda L, x: L.F.relu6(x),
    "clamp_min": lambda L, x: L.clamp(x, min=0.7), "clamp_max": lambda L, x: x.clamp(max=1.1),
    "clamp_both": lambda L, x: x.clamp(0.7, 1.1), "clone": lambda L, x: x.clone(),
    "contiguous": lambda L, x: x.contiguous(), "square": lambda L, x: x * x,
    "pow_half": lambda L, x: x ** 0.5, "pow_2": lambda L, x: x ** 2, "rpow": lambda L, x: 2 ** x,
    "isfinite": lambda L, x: L.isfinite(x),
}
UNARY_INPUTS = {
    "0d": (pos(),), "1d": (pos(5),), "2d": (pos(3, 4),), "empty": (E,), "empty2d": (E03,),
    "f64": (pos(3, 4, dtype=np.float64),), "0d_f64": (pos(dtype=np.float64),),
    "nonfinite": (np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e38, -1e38, -1.5],
                           np.float32),),
}
UNARY_VIEWS = {
    "transposed": lambda x: x.t(), "strided": lambda x: x[:, ::2], "expanded": lambda x:
    x[:1].expand(3, 4), "flipped_view": lambda x: x[1:, 1:],
}

# PyTorch's own non-finite quirks, not followed: its exact gelu(inf) is NaN, and the gradient
# of x ** 0.5 at -inf is NaN where the derivative's formula gives 0
NONFINITE_SKIPPED = ("gelu", "pow_half")

UNARY_CASES = [case(f"{op}-{kind}", fn, *inputs) for op, fn in UNARY.items()
               for kind, inputs in UNARY_INPUTS.items()
               if not (kind == "nonfinite" and op in NONFINITE_SKIPPED)]
UNARY_CASES += [case(f"{op}-{view}", lambda L, x, fn=fn, v=v: fn(L, v(x)), pos(3, 4))
                for op, fn in UNARY.items() for view, v in UNARY_VIEWS.items()]
UNARY_CASES += [case(f"{op}-int", fn, ints(3, 4, low=1), grad=False)
                for op, fn in UNARY.items() if op not in ("gelu", "gelu_tanh", "silu", "elu",
                                                           "sigmoid", "tanh", "leaky_relu")]
UNARY_CASES += [case(f"{op}-int0d", fn, SI, grad=False) for op, fn in UNARY.items()
                if op in ("exp", "log", "sqrt", "abs", "neg", "relu", "clamp_min")]


@pytest.mark.parametrize("fn, inputs, how", UNARY_CASES)
def test_unary_ops(fn, inputs, how):
    check_against_torch(fn, inputs, how)


# ---- binary ops: broadcasting, 0-d, empty, scalars and mixed dtypes ------------------------------

BINARY = {
    "add": lambda L, a, b: a + b, "sub": lambda L, a, b: a - b, "mul": lambda L, a, b: a * b,
    "div": lambda L, a, b: a / b, "pow": lambda L, a, b: L.pow(a, b),
    "add_alpha": lambda L, a, b: L.add(a, b, alpha=2), "sub_alpha": lambda L, a, b:
    L.sub(a, b, alpha=0.5), "maximum": lambda L, a, b: L.maximum(a, b),
    "minimum": lambda L, a, b: L.minimum(a, b), "max_other": lambda L, a, b: L.max(a, b),
    "min_other": lambda L, a, b: L.min(a, b), "eq": lambda L, a, b: a == b,
    "ne": lambda L, a, b: a != b, "lt": lambda L, a, b: a < b, "le": lambda L, a, b: a <= b,
    "gt": lambda L, a, b: L.gt(a, b), "ge": lambda L, a, b: L.ge(a, b),
    "where": lambda L, a, b: L.where(a > 1, a, b), "mul_add": lambda L, a, b: a * b + a,
}
BINARY_INPUTS = {
    "same": (pos(3, 4), pos(3, 4, seed=1)),
    "row_col": (pos(3, 1), pos(1, 4, seed=1)),
    "lead": (pos(2, 3, 4), pos(4, seed=1)),
    "0d_2d": (pos(), pos(3, 4, seed=1)),
    "2d_0d": (pos(3, 4), pos(seed=1)),
    "0d_0d": (pos(), pos(seed=1)),
    "empty_bcast": (np.ones((0, 1), np.float32), pos(1, 4)),
    "empty_empty": (E03, E03),
    "empty_0d": (E, pos()),
    "f32_f64": (pos(3, 4), pos(3, 4, seed=1, dtype=np.float64)),
    "f32_0d_f64": (pos(3, 4), pos(seed=1, dtype=np.float64)),
    "0d_f64_f32": (pos(dtype=np.float64), pos(3, 4, seed=1)),
    "f32_int": (pos(3, 4), ints(3, 4, low=1)),
    "int_f32": (ints(3, 4, low=1), pos(3, 4)),
    "int_0d_f64": (ints(3, 4, low=1), pos(dtype=np.float64)),
    "int_int": (ints(3, 4, low=1), ints(3, 4, low=1, seed=1)),
    "int32_0d_int64": (ints(3, 4, low=1, dtype=np.int32), np.array(2, np.int64)),
    "bool_int": (MB, ints(3, 4, low=1)),
    "f32_scalar": (pos(3, 4), 1.5),
    "scalar_f32": (2.0, pos(3, 4)),
    "f32_int_scalar": (pos(3, 4), 2),
    "int_float_scalar": (ints(3, 4, low=1), 1.5),
    "int_int_scalar": (ints(3, 4, low=1), 3),
    "0d_scalar": (pos(), 0.5),
    "bad_bcast": (pos(3, 4), pos(3, 5)),
    "nonfinite": (np.array([np.nan, np.inf, -np.inf, 0, 1, -2, 0], np.float32),
                  np.array([1, np.inf, 0, 0, np.nan, -np.inf, -0.0], np.float32)),
}
SCALAR_FIRST_OK = ("add", "sub", "mul", "div", "eq", "ne", "lt", "le", "mul_add")

SCALAR_OTHER_REJECTED = ("maximum", "minimum")  # PyTorch: 'other' must be a Tensor
SCALAR_OTHER_IS_DIM = ("max_other", "min_other")  # max(x, 2) is max over dim 2
INTEGER_ALPHA_REJECTED = ("sub_alpha",)  # a float alpha with integer tensors


def _binary_raises(op, kind, inputs):
    scalar_other = not isinstance(inputs[1], np.ndarray)
    integral = all(a.dtype.kind in "iub" if isinstance(a, np.ndarray) else
                   not isinstance(a, float) for a in inputs)
    return (kind == "bad_bcast" or (scalar_other and op in SCALAR_OTHER_REJECTED)
            or (op == "sub" and kind == "bool_int") or (integral and op in INTEGER_ALPHA_REJECTED))


BINARY_CASES = [case(f"{op}-{kind}", fn, *inputs, raises=_binary_raises(op, kind, inputs))
                for op, fn in BINARY.items() for kind, inputs in BINARY_INPUTS.items()
                if (isinstance(inputs[0], np.ndarray) or op in SCALAR_FIRST_OK)
                and not (op in SCALAR_OTHER_IS_DIM and not isinstance(inputs[1], np.ndarray))]
BINARY_CASES += [
    case("add_noncontig", lambda L, a, b: a.t() + b[:, ::2], pos(4, 3), pos(3, 8)),
    case("mul_expanded", lambda L, a, b: a.expand(3, 4) * b, pos(1, 4), pos(3, 4)),
    case("div_by_zero", lambda L, a, b: a / b, rand(4), np.zeros(4, np.float32)),
    case("int_div_int", lambda L, a, b: a / b, ints(3, low=1), ints(3, low=1, seed=2)),
    case("pow_int_neg_float", lambda L, a: a ** -0.5, ints(3, low=1), grad=False),
    case("pow_0d_exponent_tensor", lambda L, a, b: a ** b, pos(3), pos()),
    case("pow_negative_base", lambda L, a, b: a ** b, -pos(4), np.array([2, 3, 0.5, 0],
                                                                        np.float32)),
    case("pow_zero_base_and_exponent", lambda L, a, b: a ** b, np.zeros(3, np.float32),
         np.array([0, 1, 2], np.float32)),
    case("pow_scalar_zero", lambda L, a: a ** 0, np.array([0, 1, -2], np.float32)),
    case("rpow_tensor", lambda L, a: 2.0 ** a, pos(3)),
    case("where_scalar_other", lambda L, a: L.where(a > 1, a, 0.0), pos(3, 4)),
    case("where_bcast_cond", lambda L, a, b: L.where(a > 1, a, b), pos(3, 1), pos(1, 4)),
    case("where_0d", lambda L, a, b: L.where(a > 1, a, b), pos(), pos(seed=2)),
    case("where_empty", lambda L, a, b: L.where(a > 1, a, b), E03, E03),
    case("maximum_nan", lambda L, a, b: L.maximum(a, b), np.array([np.nan, 1], np.float32),
         np.array([0, np.nan], np.float32)),
    case("max_other_ties", lambda L, a, b: L.max(a, b), np.ones(3, np.float32),
         np.ones(3, np.float32)),
]


@pytest.mark.parametrize("fn, inputs, how", BINARY_CASES)
def test_binary_ops(fn, inputs, how):
    check_against_torch(fn, inputs, how)


# ---- reductions: every dim form on 0-d, empty, strided and ordinary tensors ---------------------

REDUCTIONS = {
    "sum": lambda L, x, **kw: x.sum(**kw), "mean": lambda L, x, **kw: x.mean(**kw),
    "var": lambda L, x, **kw: x.var(**kw), "std": lambda L, x, **kw: L.std(x, **kw),
    "amax": lambda L, x, **kw: x.amax(**kw), "amin": lambda L, x, **kw: L.amin(x, **kw),
    "logsumexp": lambda L, x, **kw: x.logsumexp(**kw), "max": lambda L, x, **kw: x.max(**kw),
    "min": lambda L, x, **kw: L.min(x, **kw), "argmax": lambda L, x, **kw: x.argmax(**kw),
    "argmin": lambda L, x, **kw: L.argmin(x, **kw),
}
NO_DIM_NONE = ("logsumexp",)               # dim is required
SINGLE_DIM = ("max", "min", "argmax", "argmin")
DIM_FORMS = {
    "all": {}, "d0": dict(dim=0), "dlast": dict(dim=-1), "d0_keep": dict(dim=0, keepdim=True),
    "dtuple": dict(dim=(0, -1)), "dlist_keep": dict(dim=[-1, 0], keepdim=True),
    "dempty": dict(dim=()),
}
REDUCTION_INPUTS = {
    "0d": S, "1d": V, "2d": M, "3d": B3, "empty1d": E, "empty03": E03, "empty30": E30,
    "empty040": E040, "f64": M64, "int": MI, "bool": MB, "one": np.ones((1, 1), np.float32),
    "nonfinite": np.array([[np.nan, 1, 2], [np.inf, -np.inf, 0], [1, np.inf, 3]], np.float32),
}


def _reduction_call(op, form):
    kw = DIM_FORMS[form]
    return lambda L, x: REDUCTIONS[op](L, x, **kw)


def _reduction_applies(op, form):
    if op in NO_DIM_NONE and form in ("all", "dempty"):
        # logsumexp needs dim; PyTorch's dim=() fails inside its own broadcast check
        return False
    return not (op in SINGLE_DIM and form in ("dtuple", "dlist_keep", "dempty"))


def _reduction_grad(op, form):
    # PyTorch's var/std backward takes dim=() as "no dim reduced" (n = 1): an inf gradient,
    # where its forward reduces over every dimension
    return not (op in ("var", "std") and form == "dempty")


def _reduction_raises(op, form, kind):
    """Where PyTorch rejects the call (checked: PyTorch raises exactly these)."""
    x = REDUCTION_INPUTS[kind]
    if op in ("mean", "var", "std") and x.dtype.kind in "iub":
        return True
    if op in ("argmax", "argmin") and kind == "bool":
        return True
    dims = DIM_FORMS[form].get("dim")
    if isinstance(dims, int):
        dims = (dims,)
    if dims is not None and x.ndim < 2 and len(set(d % max(x.ndim, 1) for d in dims)) \
            < len(dims):
        return True
    if op in ("amax", "amin", "max", "min", "argmax", "argmin") and x.size == 0:
        if not dims:
            return True
        return any(x.shape[d] == 0 for d in dims) if x.ndim else True
    return False


REDUCTION_CASES = [case(f"{op}-{form}-{kind}", _reduction_call(op, form), x,
                        grad=_reduction_grad(op, form), raises=_reduction_raises(op, form, kind))
                   for op in REDUCTIONS for form in DIM_FORMS for kind, x in
                   REDUCTION_INPUTS.items() if _reduction_applies(op, form)]
REDUCTION_CASES += [
    case("sum-strided", lambda L, x: x[:, ::2].sum(0), M),
    case("mean-transposed", lambda L, x: x.t().mean(1), M),
    case("amax-expanded", lambda L, x: x.expand(3, 4).amax(0), rand(1, 4)),
    case("max-ties", lambda L, x: x.max(1), np.ones((2, 3), np.float32)),
    case("amax-ties", lambda L, x: x.amax(1), np.ones((2, 3), np.float32)),
    case("var-positional-unbiased-false", lambda L, x: x.var(False), V),
    case("std-positional-unbiased-false", lambda L, x: x.std(False), V),
    case("var-positional-unbiased-true", lambda L, x: L.var(x, True), V),
    case("var-dim-unbiased-keepdim", lambda L, x: x.var(1, False, True), M),
    case("std-dim-unbiased", lambda L, x: x.std(0, True), M),
    case("var-unbiased-kw", lambda L, x: x.var(unbiased=False), M),
    case("var-dim-unbiased-kw", lambda L, x: x.var(dim=1, unbiased=False), M),
    case("var-correction-none", lambda L, x: x.var(correction=None), V),
    case("std-correction-none", lambda L, x: x.std(dim=0, correction=None), M),
    case("var-correction-0", lambda L, x: x.var(0, correction=0), M),
    case("var-correction-2", lambda L, x: x.var(correction=2), V),
    case("var-correction-float", lambda L, x: x.var(correction=0.5), V),
    case("var-correction-n", lambda L, x: x.var(correction=5), V, grad=False),
    case("var-single-element", lambda L, x: x.var(), np.ones(1, np.float32), grad=False),
    case("var-0d", lambda L, x: x.var(), S, grad=False),
    case("std-0d-correction0", lambda L, x: x.std(correction=0), S),
    case("std-constant", lambda L, x: x.std(1), np.ones((2, 3), np.float32)),
    case("sum-int-dtype", lambda L, x: x.sum(), ints(3, dtype=np.int32)),
    case("sum-bool", lambda L, x: x.sum(0), MB),
    case("sum-uint8", lambda L, x: x.sum(), ints(4, low=0, high=200, dtype=np.uint8)),
    case("max-dim-out-of-range", lambda L, x: x.max(2), M, raises=True),
    case("sum-dim-out-of-range", lambda L, x: x.sum(-3), M, raises=True),
    case("sum-0d-dim1", lambda L, x: x.sum(1), S, raises=True),
    case("logsumexp-empty-dim", lambda L, x: x.logsumexp(0), E03),
    case("logsumexp-inf", lambda L, x: x.logsumexp(0), np.array([-np.inf, -np.inf], np.float32),
         grad=False),
    case("max-nan", lambda L, x: x.max(0), np.array([1, np.nan, 3], np.float32)),
    case("amax-nan", lambda L, x: x.amax(), np.array([1, np.nan, 3], np.float32), grad=False),
    case("argmax-nan", lambda L, x: x.argmax(), np.array([1, np.nan, 3], np.float32)),
    case("mean-dtype-arg", lambda L, x: x.mean(dtype=L.float64), M),
    case("sum-dtype-arg", lambda L, x: x.sum(0, dtype=L.float64), MI),
]


@pytest.mark.parametrize("fn, inputs, how", REDUCTION_CASES)
def test_reductions(fn, inputs, how):
    check_against_torch(fn, inputs, how)


# ---- clamp with tensor bounds ------------------------------------------------------------------

CLAMP_CASES = [
    case("clamp-int-tensor-bounds", lambda L, x, lo, hi: x.clamp(lo, hi), rand(2, 3),
         np.array([0], np.int64), np.array([1], np.int64)),
    case("clamp-int-input-float-tensor-bound", lambda L, x, lo: L.clamp(x, lo), ints(2, 3),
         np.array(0.5, np.float32)),
    case("clamp-tensor-bounds-grad", lambda L, x, lo, hi: L.clamp(x, min=lo, max=hi),
         rand(3, 4), rand(3, 4, seed=1) - 1, rand(3, 4, seed=2) + 1),
    case("clamp-broadcast-bounds", lambda L, x, lo, hi: x.clamp(lo, hi), rand(3, 4),
         rand(3, 1, seed=1) - 1, rand(1, 4, seed=2) + 1),
    case("clamp-bounds-broadcast-the-output", lambda L, x, lo: x.clamp(lo), rand(4),
         rand(3, 1, seed=1)),
    case("clamp-min-above-max", lambda L, x, lo, hi: x.clamp(lo, hi), rand(3, 4),
         np.full(4, 1.0, np.float32), np.full(4, -1.0, np.float32)),
    case("clamp-min-only-tensor", lambda L, x, lo: x.clamp(min=lo), rand(3, 4), rand(4, seed=1)),
    case("clamp-max-only-tensor", lambda L, x, hi: x.clamp(max=hi), rand(3, 4), rand(4, seed=1)),
    case("clamp-0d-f64-bound", lambda L, x, hi: x.clamp(max=hi), rand(3, 4),
         np.array(0.5, np.float64)),
    case("clamp-f64-bound", lambda L, x, hi: x.clamp(max=hi), rand(3, 4),
         np.full(4, 0.5, np.float64)),
    case("clamp-empty-tensor-bound", lambda L, x, lo: x.clamp(lo), E03, np.zeros(3, np.float32)),
    case("clamp-0d-input-tensor-bounds", lambda L, x, lo, hi: x.clamp(lo, hi), S,
         np.array(0.0, np.float32), np.array(1.0, np.float32)),
    case("clamp-bad-broadcast", lambda L, x, lo: x.clamp(lo), rand(3, 4), rand(3), raises=True),
    case("clamp-no-bounds", lambda L, x: L.clamp(x), rand(3), raises=True),
    case("clamp-min-above-max-scalars", lambda L, x: x.clamp(1.0, -1.0), rand(3, 4)),
    case("clamp-nan-input", lambda L, x: x.clamp(-1.0, 1.0),
         np.array([np.nan, 2, -2], np.float32)),
    case("clamp-int-int-bounds", lambda L, x: x.clamp(0, 2), ints(5), grad=False),
]


@pytest.mark.parametrize("fn, inputs, how", CLAMP_CASES)
def test_clamp(fn, inputs, how):
    check_against_torch(fn, inputs, how)


# ---- shape ops and indexing ----------------------------------------------------------------------

SHAPE_CASES = [
    case("reshape-0d-to-1", lambda L, x: x.reshape(1), S),
    case("reshape-0d-to-scalar", lambda L, x: x.reshape(()), np.ones(1, np.float32)),
    case("reshape-minus1-empty", lambda L, x: x.reshape(-1), E03),
    case("reshape-minus1-ambiguous-empty", lambda L, x: x.reshape(0, -1), E03, raises=True),
    case("reshape-noncontig", lambda L, x: x.t().reshape(-1), M),
    case("reshape-tuple", lambda L, x: x.reshape((2, 6)), M),
    case("reshape-bad", lambda L, x: x.reshape(5, -1), M, raises=True),
    case("view-tuple", lambda L, x: x.view((4, 3)), M),
    case("flatten-0d", lambda L, x: x.flatten(), S),
    case("flatten-empty", lambda L, x: x.flatten(), E040),
    case("flatten-start1", lambda L, x: L.flatten(x, 1), IMG),
    case("flatten-start-end", lambda L, x: x.flatten(1, 2), IMG),
    case("flatten-empty-batch", lambda L, x: x.flatten(1), IMG0),
    case("flatten-0d-dims", lambda L, x: x.flatten(0, -1), S),
    case("flatten-bad-order", lambda L, x: x.flatten(2, 1), IMG, raises=True),
    case("permute-0d", lambda L, x: x.permute(()), S),
    case("permute-neg", lambda L, x: x.permute(-1, 0, 1), B3),
    case("permute-list", lambda L, x: L.permute(x, [2, 0, 1]), B3),
    case("permute-repeated", lambda L, x: x.permute(0, 0, 1), B3, raises=True),
    case("transpose-0d", lambda L, x: x.transpose(0, -1), S),
    case("transpose-1d", lambda L, x: x.transpose(0, -1), V),
    case("transpose-neg", lambda L, x: L.transpose(x, -1, -3), B3),
    case("transpose-empty", lambda L, x: x.transpose(0, 1), E03),
    case("transpose-out-of-range", lambda L, x: x.transpose(0, 2), M, raises=True),
    case("t-0d", lambda L, x: x.t(), S),
    case("t-1d", lambda L, x: L.t(x), V),
    case("t-3d", lambda L, x: x.t(), B3, raises=True),
    case("T-0d", lambda L, x: x.T, S),
    case("mT-3d", lambda L, x: x.mT, B3),
    case("squeeze-0d", lambda L, x: x.squeeze(), S),
    case("squeeze-0d-dim", lambda L, x: x.squeeze(0), S),
    case("squeeze-dim-not-1", lambda L, x: x.squeeze(0), M),
    case("squeeze-tuple", lambda L, x: x.squeeze((0, 2)), rand(1, 3, 1)),
    case("squeeze-empty", lambda L, x: x.squeeze(), np.zeros((1, 0, 1), np.float32)),
    case("unsqueeze-0d", lambda L, x: x.unsqueeze(0), S),
    case("unsqueeze-0d-neg", lambda L, x: x.unsqueeze(-1), S),
    case("unsqueeze-end", lambda L, x: L.unsqueeze(x, 2), M),
    case("unsqueeze-out-of-range", lambda L, x: x.unsqueeze(3), M, raises=True),
    case("expand-0d", lambda L, x: x.expand(2, 3), S),
    case("expand-minus1", lambda L, x: x.expand(2, -1, 4), rand(1, 3, 1)),
    case("expand-to-empty", lambda L, x: x.expand(0, 3), rand(1, 3)),
    case("expand-tuple", lambda L, x: x.expand((2, 4)), rand(1, 4)),
    case("expand-bad", lambda L, x: x.expand(3, 3), rand(2, 3), raises=True),
    case("expand_as", lambda L, x, y: x.expand_as(y), rand(1, 4), M),
    case("repeat-0d", lambda L, x: x.repeat(2, 3), S),
    case("repeat-empty", lambda L, x: x.repeat(2, 1), E03),
    case("repeat-zero", lambda L, x: x.repeat(0, 2), M),
    case("repeat-lead", lambda L, x: x.repeat(2, 1, 1), M),
    case("repeat-too-few", lambda L, x: x.repeat(2), M, raises=True),
    case("cat-empty-1d-legacy", lambda L, xs: L.cat(xs), Many([E, M])),
    case("cat-empty-1d-dim1", lambda L, xs: L.cat(xs, 1), Many([M, E])),
    case("cat-empty-1d-only", lambda L, xs: L.cat(xs), Many([E, E])),
    case("cat-empty-rows", lambda L, xs: L.cat(xs), Many([E03, rand(2, 3)])),
    case("cat-neg-dim", lambda L, xs: L.cat(xs, -1), Many([M, rand(3, 2)])),
    case("cat-promote", lambda L, xs: L.cat(xs), Many([M, M64])),
    case("cat-int-float", lambda L, xs: L.cat(xs), Many([MI, M])),
    case("cat-one", lambda L, xs: L.cat(xs), Many([M])),
    case("cat-tuple", lambda L, x, y: L.cat((x, y), 0), M, M),
    case("cat-0d", lambda L, xs: L.cat(xs), Many([S, S]), raises=True),
    case("cat-none", lambda L: L.cat([]), raises=True),
    case("cat-mismatch", lambda L, xs: L.cat(xs), Many([M, rand(2, 3)]), raises=True),
    case("concat-alias", lambda L, xs: L.concat(xs, 1), Many([M, M])),
    case("stack-0d", lambda L, xs: L.stack(xs), Many([S, S])),
    case("stack-empty", lambda L, xs: L.stack(xs, 1), Many([E03, E03])),
    case("stack-neg", lambda L, xs: L.stack(xs, -1), Many([M, M])),
    case("stack-mismatch", lambda L, xs: L.stack(xs), Many([M, M.T.copy()]), raises=True),
    case("split-size", lambda L, x: x.split(2, 1), M),
    case("split-sections", lambda L, x: L.split(x, [1, 3], 1), M),
    case("split-empty", lambda L, x: x.split(2), E03),
    case("split-bigger", lambda L, x: x.split(10), M),
    case("split-zero-section", lambda L, x: x.split([0, 3]), M),
    case("split-bad", lambda L, x: x.split([1, 1]), M, raises=True),
    case("chunk", lambda L, x: x.chunk(3, 1), M),
    case("chunk-more-than-size", lambda L, x: L.chunk(x, 10), M),
    case("chunk-empty", lambda L, x: x.chunk(2), E03),
    case("unbind", lambda L, x: x.unbind(1), M),
    case("unbind-empty", lambda L, x: L.unbind(x), E03),
    case("unbind-1d", lambda L, x: x.unbind(), V),
    case("pad-negative", lambda L, x: L.F.pad(x, (-1, 2)), M),
    case("pad-0-sides", lambda L, x: L.F.pad(x, (0, 0, 1, 1)), M),
    case("pad-empty", lambda L, x: L.F.pad(x, (1, 1)), E03),
    case("pad-value", lambda L, x: L.F.pad(x, (1, 1), value=3.0), M),
    case("contiguous-noncontig", lambda L, x: x.t().contiguous(), M),
    case("clone-0d", lambda L, x: x.clone(), S),
]
INDEX_CASES = [
    case("index_select-0d", lambda L, x, i: x.index_select(0, i), S, np.array([0])),
    case("index_select-0d-0d-index", lambda L, x, i: x.index_select(-1, i), S, np.array(0)),
    case("index_select-empty-index", lambda L, x, i: x.index_select(1, i), M,
         np.zeros(0, np.int64)),
    case("index_select-repeated", lambda L, x, i: L.index_select(x, 0, i), M, np.array([2, 0, 2])),
    case("index_select-neg-dim", lambda L, x, i: x.index_select(-1, i), M, np.array([3, 1])),
    case("index_select-0d-index", lambda L, x, i: x.index_select(0, i), M, np.array(1)),
    case("index_select-int32-index", lambda L, x, i: x.index_select(0, i), M,
         np.array([1], np.int32)),
    case("index_select-out-of-range", lambda L, x, i: x.index_select(0, i), M, np.array([3]),
         raises=True),
    case("index_select-2d-index", lambda L, x, i: x.index_select(0, i), M,
         np.array([[1]]), raises=True),
    case("index_select-empty-input", lambda L, x, i: x.index_select(0, i), E03,
         np.zeros(0, np.int64)),
    case("getitem-0d-ellipsis", lambda L, x: x[...], S),
    case("getitem-0d-none", lambda L, x: x[None], S),
    case("getitem-0d-empty-tuple", lambda L, x: x[()], S),
    case("getitem-int", lambda L, x: x[-1], M),
    case("getitem-slice-step", lambda L, x: x[::2, 1:], M),
    case("getitem-empty-slice", lambda L, x: x[2:1], M),
    case("getitem-list", lambda L, x: x[[0, 2, 0]], M),
    case("getitem-empty-list", lambda L, x: x[[]], M),
    case("getitem-mask", lambda L, x: x[x > 0], M),
    case("getitem-mask-rows", lambda L, x, m: x[m], M, np.array([True, False, True])),
    case("getitem-tensor-index", lambda L, x, i: x[i], M, np.array([[0, 1], [2, 2]])),
    case("getitem-0d-tensor-index", lambda L, x, i: x[i], M, np.array(1)),
    case("getitem-two-arrays", lambda L, x, i, j: x[i, j], M, np.array([0, 2]), np.array([1, 3])),
    case("getitem-mixed", lambda L, x, i: x[:, i], B3, np.array([2, 0])),
    case("getitem-none-ellipsis", lambda L, x: x[None, ..., 1], B3),
    case("getitem-out-of-range", lambda L, x: x[3], M, raises=True),
    case("getitem-too-many", lambda L, x: x[0, 0, 0], M, raises=True),
    case("getitem-0d-int", lambda L, x: x[0], S, raises=True),
    case("getitem-float-index", lambda L, x, i: x[i], M, np.array([0.5]), raises=True,
         grad=False),
]


@pytest.mark.parametrize("fn, inputs, how", SHAPE_CASES + INDEX_CASES)
def test_shapes_and_indexing(fn, inputs, how):
    check_against_torch(fn, inputs, how)


# ---- softmax, creation and conversions ----------------------------------------------------------

SOFTMAX_CASES = [case(f"{op}-{kind}-dim{d}", lambda L, x, op=op, d=d: getattr(L.F, op)(x, d), x)
                 for op in ("softmax", "log_softmax")
                 for kind, x, dims in (("0d", S, (0, -1)), ("1d", V, (0, -1)), ("2d", M, (0, 1)),
                                       ("empty03", E03, (0, 1)), ("empty30", E30, (0, 1)),
                                       ("empty040", E040, (0, 1, 2)), ("3d", B3, (1, -1)))
                 for d in dims]
SOFTMAX_CASES += [
    case("softmax-method", lambda L, x: x.softmax(1), M),
    case("softmax-noncontig", lambda L, x: L.F.softmax(x.t(), 0), M),
    case("softmax-dtype", lambda L, x: L.F.softmax(x, 1, dtype=L.float64), M),
    case("log_softmax-dtype-int", lambda L, x: L.F.log_softmax(x, 1, dtype=L.float32), MI,
         grad=False),
    case("softmax-int", lambda L, x: L.F.softmax(x, 1), MI, raises=True, grad=False),
    case("softmax-inf-row", lambda L, x: L.F.softmax(x, 1),
         np.array([[-np.inf, -np.inf], [0, -np.inf]], np.float32), grad=False),
    case("softmax-out-of-range", lambda L, x: L.F.softmax(x, 2), M, raises=True),
    case("softmax-0d-dim1", lambda L, x: L.F.softmax(x, 1), S, raises=True),
    case("log_softmax-large", lambda L, x: L.F.log_softmax(x, 0),
         np.array([1e4, -1e4, 0], np.float32)),
]

CREATION_CASES = [
    case("arange-end", lambda L: L.arange(5)),
    case("arange-float", lambda L: L.arange(0, 1, 0.25)),
    case("arange-negative-step", lambda L: L.arange(5, 0, -2)),
    case("arange-empty", lambda L: L.arange(3, 3)),
    case("arange-wrong-sign", lambda L: L.arange(0, 5, -1), raises=True),
    case("arange-wrong-sign-down", lambda L: L.arange(5, 0, 1), raises=True),
    case("arange-zero-step", lambda L: L.arange(0, 5, 0), raises=True),
    case("arange-dtype", lambda L: L.arange(4, dtype=L.float64)),
    case("arange-int-float-end", lambda L: L.arange(0, 2.5)),
    case("arange-nan", lambda L: L.arange(0, float("nan")), raises=True),
    case("arange-inf", lambda L: L.arange(0, float("inf")), raises=True),
    case("arange-0d-tensor", lambda L, n: L.arange(n), np.array(3), grad=False),
    case("linspace", lambda L: L.linspace(0, 1, 5)),
    case("linspace-one", lambda L: L.linspace(2, 3, 1)),
    case("linspace-zero", lambda L: L.linspace(2, 3, 0)),
    case("linspace-negative-steps", lambda L: L.linspace(0, 1, -1), raises=True),
    case("linspace-0d-tensors", lambda L, a, b: L.linspace(a, b, 3), np.array(0.0, np.float32),
         np.array(1.0, np.float32), grad=False),
    case("linspace-1d-tensors", lambda L, a, b: L.linspace(a, b, 3), np.array([0.0], np.float32),
         np.array([1.0], np.float32), raises=True, grad=False),
    case("linspace-dtype", lambda L: L.linspace(0, 10, 4, dtype=L.int64)),
    case("zeros-empty", lambda L: L.zeros(0, 3)),
    case("zeros-tuple", lambda L: L.zeros((2, 0))),
    case("zeros-0d", lambda L: L.zeros(())),
    case("zeros-negative", lambda L: L.zeros(-1), raises=True),
    case("ones-list", lambda L: L.ones([2, 3])),
    case("full-bool", lambda L: L.full((2,), True)),
    case("full-int", lambda L: L.full((2,), 3)),
    case("full-float", lambda L: L.full((2, 1), 1.5)),
    case("full-0d", lambda L: L.full((), 2.0)),
    case("eye-0", lambda L: L.eye(0)),
    case("eye-rect", lambda L: L.eye(2, 3)),
    case("tensor-empty-list", lambda L: L.tensor([])),
    case("tensor-nested-empty", lambda L: L.tensor([[], []])),
    case("tensor-bool", lambda L: L.tensor([True, False])),
    case("tensor-mixed", lambda L: L.tensor([1, 2.5])),
    case("tensor-0d-int", lambda L: L.tensor(3)),
    case("tensor-ragged", lambda L: L.tensor([[1], [1, 2]]), raises=True),
    case("zeros_like-0d", lambda L, x: L.zeros_like(x), S, grad=False),
    case("full_like-empty", lambda L, x: L.full_like(x, 2.0), E03, grad=False),
    case("ones_like-dtype", lambda L, x: L.ones_like(x, dtype=L.int64), M, grad=False),
]

CONVERSION_CASES = [
    case("to-dtype", lambda L, x: x.to(L.float64), M),
    case("to-dtype-kw", lambda L, x: x.to(dtype=L.float64), M),
    case("to-device-dtype", lambda L, x: x.to("cpu", L.float64), M),
    case("to-other", lambda L, x, y: x.to(y), M, M64),
    case("to-memory-format", lambda L, x: x.to(L.float64, memory_format=L.preserve_format), M),
    case("to-contiguous-format", lambda L, x: x.to(memory_format=L.contiguous_format), M),
    case("float-memory-format", lambda L, x: x.float(memory_format=L.preserve_format), M64),
    case("double-memory-format", lambda L, x: x.double(memory_format=L.contiguous_format), M),
    case("half-memory-format", lambda L, x: x.half(memory_format=L.preserve_format), M,
         grad=False),
    case("long-memory-format", lambda L, x: x.long(memory_format=L.preserve_format), M),
    case("int-memory-format", lambda L, x: x.int(memory_format=L.preserve_format), M),
    case("bool-memory-format", lambda L, x: x.bool(memory_format=L.preserve_format), M),
    case("contiguous-memory-format", lambda L, x: x.contiguous(memory_format=L.contiguous_format),
         M),
    case("clone-memory-format", lambda L, x: x.clone(memory_format=L.preserve_format), M),
    case("to-channels-last-4d", lambda L, x: x.to(memory_format=L.channels_last), IMG),
    case("to-channels-last-2d", lambda L, x: x.to(memory_format=L.channels_last), M,
         raises=True),
    case("to-copy", lambda L, x: x.to(L.float32, copy=True), M),
    case("to-non-blocking", lambda L, x: x.to("cpu", non_blocking=True), M),
    case("to-bad-memory-format", lambda L, x: x.to(L.float64, memory_format="nchw"), M,
         raises=True),
    case("to-0d", lambda L, x: x.to(L.int64), S),
    case("to-empty", lambda L, x: x.double(), E03),
    case("float-of-int", lambda L, x: x.float(), MI),
    case("long-of-float", lambda L, x: x.long(), rand(3) * 3),
    case("bool-of-float", lambda L, x: x.bool(), np.array([0.0, 0.5, -1], np.float32)),
    case("type_as", lambda L, x, y: x.type_as(y), MI, M64, grad=False),
    case("float-noncontig", lambda L, x: x.t().double(), M),
]


@pytest.mark.parametrize("fn, inputs, how", SOFTMAX_CASES + CREATION_CASES + CONVERSION_CASES)
def test_softmax_creation_conversion(fn, inputs, how):
    check_against_torch(fn, inputs, how)


# ---- neural-network ops: empty batches, unbatched input, every argument form ---------------------

W33 = rand(4, 3, 3, 3, seed=5)            # conv weight (out 4, in 3, 3×3)
WT = rand(3, 2, 3, 3, seed=6)             # conv_transpose weight (in 3, out 2)
LIN_W, LIN_B = rand(2, 5, seed=7), rand(2, seed=8)
CH3 = rand(3, seed=9, low=0.5, high=1.5)  # per-channel weight
LOGITS, LABELS = rand(4, 5), np.array([0, 4, 2, 2])
IDX = np.array([[1, 0], [3, 3]])
EMB = rand(5, 3, seed=10)


def _running(L, c=3):
    return L.zeros(c), L.ones(c)


NN_CASES = [
    # convolution
    case("conv2d-empty-batch", lambda L, x, w: L.F.conv2d(x, w, padding=1), IMG0, W33),
    case("conv2d-unbatched", lambda L, x, w: L.F.conv2d(x, w), IMG[0], W33),
    case("conv2d-padding-same", lambda L, x, w: L.F.conv2d(x, w, padding="same"), IMG, W33),
    case("conv2d-padding-valid", lambda L, x, w: L.F.conv2d(x, w, padding="valid"), IMG, W33),
    case("conv2d-tuple-args", lambda L, x, w: L.F.conv2d(x, w, stride=(2, 1), padding=(1, 0),
                                                        dilation=(1, 2)), IMG, W33),
    case("conv2d-1-tuples", lambda L, x, w: L.F.conv2d(x, w, stride=(2,), padding=(1,),
                                                      dilation=(1,)), IMG, W33),
    case("conv2d-noncontig", lambda L, x, w: L.F.conv2d(x.transpose(2, 3), w), IMG, W33),
    case("conv2d-bias", lambda L, x, w, b: L.F.conv2d(x, w, b), IMG, W33, rand(4)),
    case("conv2d-groups", lambda L, x, w: L.F.conv2d(x, w, groups=3), IMG, rand(6, 1, 3, 3)),
    case("conv2d-empty-batch-depthwise", lambda L, x, w: L.F.conv2d(x, w, groups=3), IMG0,
         rand(3, 1, 3, 3)),
    case("conv2d-empty-batch-1x1", lambda L, x, w: L.F.conv2d(x, w), IMG0, rand(4, 3, 1, 1)),
    case("conv2d-zero-out-channels", lambda L, x, w: L.F.conv2d(x, w), IMG,
         np.zeros((0, 3, 3, 3), np.float32), raises=True),
    case("conv2d-wrong-channels", lambda L, x, w: L.F.conv2d(x, w), IMG, rand(4, 2, 3, 3),
         raises=True),
    case("conv2d-kernel-too-big", lambda L, x, w: L.F.conv2d(x, w), rand(1, 3, 2, 2), W33,
         raises=True),
    case("conv_transpose2d-empty-batch", lambda L, x, w: L.F.conv_transpose2d(x, w), IMG0, WT),
    case("conv_transpose2d-unbatched", lambda L, x, w: L.F.conv_transpose2d(x, w, stride=2,
                                                                           output_padding=1),
         IMG[0], WT),
    # pooling
    case("max_pool2d-empty-batch", lambda L, x: L.F.max_pool2d(x, 2), IMG0),
    case("max_pool2d-unbatched", lambda L, x: L.F.max_pool2d(x, 3, 2, 1), IMG[0]),
    case("max_pool2d-1-tuples", lambda L, x: L.F.max_pool2d(x, (2,), (2,), (1,), (1,)), IMG),
    case("max_pool2d-indices", lambda L, x: L.F.max_pool2d(x, 2, return_indices=True), IMG),
    case("max_pool2d-ceil", lambda L, x: L.F.max_pool2d(x, 4, 3, ceil_mode=True), IMG),
    case("max_pool2d-stride-empty-list", lambda L, x: L.F.max_pool2d(x, 2, []), IMG),
    case("max_pool2d-padding-too-big", lambda L, x: L.F.max_pool2d(x, 2, padding=2), IMG,
         raises=True),
    case("avg_pool2d-empty-batch", lambda L, x: L.F.avg_pool2d(x, 2), IMG0),
    case("avg_pool2d-1-tuples", lambda L, x: L.F.avg_pool2d(x, (2,), stride=(2,), padding=(1,)),
         IMG),
    case("avg_pool2d-1-tuple-kernel", lambda L, x: L.F.avg_pool2d(x, (3,)), IMG),
    case("avg_pool2d-pairs", lambda L, x: L.F.avg_pool2d(x, (2, 3), (1, 2), (1, 0)), IMG),
    case("avg_pool2d-unbatched", lambda L, x: L.F.avg_pool2d(x, 2, ceil_mode=True,
                                                            count_include_pad=False), IMG[0]),
    case("avg_pool2d-divisor", lambda L, x: L.F.avg_pool2d(x, 2, divisor_override=3), IMG),
    case("avg_pool2d-3-tuple", lambda L, x: L.F.avg_pool2d(x, (2, 2, 2)), IMG, raises=True),
    case("adaptive_avg_pool2d-empty-batch", lambda L, x: L.F.adaptive_avg_pool2d(x, 3), IMG0),
    case("adaptive_avg_pool2d-1", lambda L, x: L.F.adaptive_avg_pool2d(x, 1), IMG0),
    case("adaptive_avg_pool2d-none", lambda L, x: L.F.adaptive_avg_pool2d(x, (None, 4)), IMG),
    case("adaptive_avg_pool2d-uneven", lambda L, x: L.F.adaptive_avg_pool2d(x, (4, 5)), IMG),
    case("adaptive_max_pool2d-empty-batch", lambda L, x: L.F.adaptive_max_pool2d(x, 4), IMG0),
    case("adaptive_max_pool2d-indices", lambda L, x: L.F.adaptive_max_pool2d(x, 4, True), IMG),
    case("adaptive_max_pool2d-unbatched", lambda L, x: L.F.adaptive_max_pool2d(x, 3), IMG[0]),
    # normalization
    case("batch_norm-train-empty-batch", lambda L, x: L.F.batch_norm(x, *_running(L),
                                                                     training=True), IMG0),
    case("batch_norm-eval-empty-batch", lambda L, x: L.F.batch_norm(x, *_running(L)), IMG0),
    case("batch_norm-2d-empty", lambda L, x: L.F.batch_norm(x, None, None, training=True), E03),
    case("batch_norm-3d-empty-length", lambda L, x: L.F.batch_norm(x, None, None, training=True),
         np.zeros((2, 3, 0), np.float32)),
    case("batch_norm-1d-input", lambda L, x: L.F.batch_norm(x, None, None, training=True), V,
         raises=True),
    case("batch_norm-one-value-per-channel", lambda L, x: L.F.batch_norm(x, None, None,
                                                                         training=True),
         rand(1, 3), raises=True),
    case("batch_norm-affine-noncontig", lambda L, x, w, b: L.F.batch_norm(
        x.transpose(2, 3), None, None, w, b, training=True), IMG, CH3, rand(3)),
    case("batch_norm-eval-noncontig", lambda L, x: L.F.batch_norm(x[:, :, ::2], *_running(L)),
         IMG),
    case("layer_norm-empty-rows", lambda L, x: L.F.layer_norm(x, (3,)), E03),
    case("layer_norm-affine", lambda L, x, w, b: L.F.layer_norm(x, (4,), w, b), M, rand(4),
         rand(4, seed=1)),
    case("layer_norm-list-shape", lambda L, x: L.F.layer_norm(x, [3, 4]), B3),
    case("layer_norm-noncontig", lambda L, x: L.F.layer_norm(x.t(), (3,)), M),
    case("layer_norm-empty-feature", lambda L, x: L.F.layer_norm(x, (0,)), E30),
    case("group_norm-empty-batch", lambda L, x: L.F.group_norm(x, 3), IMG0),
    case("group_norm-affine", lambda L, x, w, b: L.F.group_norm(x, 1, w, b), IMG, CH3, rand(3)),
    case("group_norm-2d", lambda L, x: L.F.group_norm(x, 2), rand(3, 4)),
    case("group_norm-noncontig", lambda L, x: L.F.group_norm(x.transpose(2, 3), 3), IMG),
    case("local_response_norm-empty-batch", lambda L, x: L.F.local_response_norm(x, 2), IMG0),
    # linear algebra
    case("linear-empty-batch", lambda L, x, w, b: L.F.linear(x, w, b), np.zeros((0, 5),
                                                                              np.float32),
         LIN_W, LIN_B),
    case("linear-1d-input", lambda L, x, w, b: L.F.linear(x, w, b), rand(5), LIN_W, LIN_B),
    case("linear-3d-input", lambda L, x, w: L.F.linear(x, w), rand(2, 3, 5), LIN_W),
    case("linear-zero-in-features", lambda L, x, w, b: L.F.linear(x, w, b),
         np.zeros((3, 0), np.float32), np.zeros((2, 0), np.float32), LIN_B),
    case("linear-noncontig", lambda L, x, w: L.F.linear(x.t(), w), rand(5, 3), LIN_W),
    case("linear-0d", lambda L, x, w: L.F.linear(x, w), S, LIN_W, raises=True),
    case("matmul-1d-1d", lambda L, a, b: a @ b, V, rand(5, seed=1)),
    case("matmul-1d-2d", lambda L, a, b: L.matmul(a, b), rand(3), M),
    case("matmul-2d-1d", lambda L, a, b: a @ b, M, rand(4)),
    case("matmul-batched-broadcast", lambda L, a, b: a @ b, rand(2, 1, 3, 4), rand(5, 4, 2)),
    case("matmul-empty", lambda L, a, b: a @ b, E03, rand(3, 2)),
    case("matmul-empty-inner", lambda L, a, b: a @ b, E30, np.zeros((0, 2), np.float32)),
    case("matmul-0d", lambda L, a, b: L.matmul(a, b), S, M, raises=True),
    case("matmul-int-float", lambda L, a, b: a @ b, MI, rand(4, 2), raises=True),
    # activations and dropout on empty batches
    case("relu-empty-batch", lambda L, x: L.F.relu(x), IMG0),
    case("gelu-empty", lambda L, x: L.F.gelu(x), E03),
    case("dropout-empty", lambda L, x: L.F.dropout(x, 0.5), E03),
    case("dropout-eval", lambda L, x: L.F.dropout(x, 0.5, training=False), M),
    case("dropout-p0", lambda L, x: L.F.dropout(x, 0.0), M),
    case("dropout-p1", lambda L, x: L.F.dropout(x, 1.0), M),
    case("dropout-bad-p", lambda L, x: L.F.dropout(x, 1.5), M, raises=True),
    case("dropout2d-empty-batch", lambda L, x: L.F.dropout2d(x, 0.3), IMG0),
    case("interpolate-empty-batch", lambda L, x: L.F.interpolate(x, scale_factor=2), IMG0),
    case("interpolate-bilinear-empty", lambda L, x: L.F.interpolate(x, size=(3, 5),
                                                                    mode="bilinear"), IMG0),
    case("pad-empty-batch", lambda L, x: L.F.pad(x, (1, 1, 2, 0)), IMG0),
    # embedding and one_hot
    case("embedding", lambda L, i, w: L.F.embedding(i, w), IDX, EMB),
    case("embedding-0d-index", lambda L, i, w: L.F.embedding(i, w), np.array(2), EMB),
    case("embedding-empty-index", lambda L, i, w: L.F.embedding(i, w), np.zeros((0, 2),
                                                                              np.int64), EMB),
    case("embedding-padding-idx", lambda L, i, w: L.F.embedding(i, w, padding_idx=3), IDX, EMB),
    case("embedding-negative-padding-idx", lambda L, i, w: L.F.embedding(i, w, padding_idx=-2),
         IDX, EMB),
    case("embedding-out-of-range", lambda L, i, w: L.F.embedding(i, w), np.array([5]), EMB,
         raises=True),
    case("one_hot", lambda L, i: L.F.one_hot(i), np.array([0, 2, 1])),
    case("one_hot-0d", lambda L, i: L.F.one_hot(i, 4), np.array(2)),
    case("one_hot-empty", lambda L, i: L.F.one_hot(i, 3), np.zeros(0, np.int64)),
    case("one_hot-empty-infer", lambda L, i: L.F.one_hot(i), np.zeros(0, np.int64),
         raises=True),
    case("one_hot-2d", lambda L, i: L.F.one_hot(i, 3), np.array([[0, 2], [1, 1]])),
]


@pytest.mark.parametrize("fn, inputs, how", NN_CASES)
def test_nn_ops(fn, inputs, how):
    check_against_torch(fn, inputs, how)


def test_group_norm_on_empty_spatial_dims_is_empty():
    x = mc.tensor(np.zeros((2, 3, 0), np.float32), requires_grad=True)
    y = mF.group_norm(x, 1)
    assert y.shape == (2, 3, 0) and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.shape == (2, 3, 0)


# ---- losses: empty batches, every reduction, unbatched and probability targets -------------------

REDUCTION_KINDS = ("mean", "sum", "none")
EMPTY_LOGITS, EMPTY_LABELS = np.zeros((0, 5), np.float32), np.zeros(0, np.int64)


def _loss_cases():
    rows = []
    for r in REDUCTION_KINDS:
        rows += [
            case(f"cross_entropy-{r}", lambda L, x, y, r=r: L.F.cross_entropy(x, y, reduction=r),
                 LOGITS, LABELS),
            case(f"cross_entropy-empty-{r}", lambda L, x, y, r=r:
                 L.F.cross_entropy(x, y, reduction=r), EMPTY_LOGITS, EMPTY_LABELS),
            case(f"cross_entropy-all-ignored-{r}", lambda L, x, y, r=r:
                 L.F.cross_entropy(x, y, ignore_index=2, reduction=r), LOGITS, np.full(4, 2),
                 grad=False),  # the gradients at this edge are tested with the losses
            case(f"cross_entropy-unbatched-{r}", lambda L, x, y, r=r:
                 L.F.cross_entropy(x, y, reduction=r), rand(5), np.array(3)),
            case(f"cross_entropy-probs-{r}", lambda L, x, p, r=r:
                 L.F.cross_entropy(x, p.softmax(1), reduction=r), LOGITS, rand(4, 5, seed=3)),
            case(f"cross_entropy-probs-empty-{r}", lambda L, x, p, r=r:
                 L.F.cross_entropy(x, p, reduction=r), EMPTY_LOGITS, EMPTY_LOGITS),
            case(f"cross_entropy-smoothing-{r}", lambda L, x, y, r=r:
                 L.F.cross_entropy(x, y, reduction=r, label_smoothing=0.1), LOGITS, LABELS),
            case(f"cross_entropy-weight-{r}", lambda L, x, y, w, r=r:
                 L.F.cross_entropy(x, y, weight=w.detach(), reduction=r), LOGITS, LABELS,
                 pos(5)),
            case(f"cross_entropy-spatial-{r}", lambda L, x, y, r=r:
                 L.F.cross_entropy(x, y, reduction=r), rand(2, 5, 3, 2), ints(2, 3, 2, low=0,
                                                                               high=5)),
            case(f"nll_loss-empty-{r}", lambda L, x, y, r=r: L.F.nll_loss(x, y, reduction=r),
                 EMPTY_LOGITS, EMPTY_LABELS),
            case(f"nll_loss-unbatched-{r}", lambda L, x, y, r=r:
                 L.F.nll_loss(x, y, reduction=r), rand(5), np.array(1)),
            case(f"mse_loss-empty-{r}", lambda L, x, y, r=r: L.F.mse_loss(x, y, reduction=r),
                 E03, E03),
            case(f"mse_loss-0d-{r}", lambda L, x, y, r=r: L.F.mse_loss(x, y, reduction=r), S,
                 pos()),
            case(f"l1_loss-empty-{r}", lambda L, x, y, r=r: L.F.l1_loss(x, y, reduction=r),
                 E03, E03),
            case(f"bce_logits-empty-{r}", lambda L, x, y, r=r:
                 L.F.binary_cross_entropy_with_logits(x, y, reduction=r), E03, E03),
            case(f"bce_logits-0d-{r}", lambda L, x, y, r=r:
                 L.F.binary_cross_entropy_with_logits(x, y, reduction=r), S,
                 np.array(1.0, np.float32)),
            case(f"kl_div-empty-{r}", lambda L, x, y, r=r: L.F.kl_div(x, y, reduction=r),
                 E03, E03),
        ]
    rows += [
        case("kl_div-empty-batchmean", lambda L, x, y: L.F.kl_div(x, y, reduction="batchmean"),
             E03, E03),
        case("kl_div-0d-batchmean", lambda L, x, y: L.F.kl_div(x, y, reduction="batchmean"),
             S, pos()),
        case("cross_entropy-label-out-of-range", lambda L, x, y: L.F.cross_entropy(x, y),
             LOGITS, np.array([0, 5, 1, 1]), raises=True),
        case("cross_entropy-negative-label", lambda L, x, y: L.F.cross_entropy(x, y),
             LOGITS, np.array([0, -1, 1, 1]), raises=True),
    ]
    return rows


LOSS_CASES = _loss_cases()


@pytest.mark.parametrize("fn, inputs, how", LOSS_CASES)
def test_losses(fn, inputs, how):
    check_against_torch(fn, inputs, how)


# ---- attention -----------------------------------------------------------------------------------

E_, HEADS = 4, 2
MHA_W, MHA_B = rand(3 * E_, E_, seed=11) / 2, rand(3 * E_, seed=12) / 4
OUT_W, OUT_B = rand(E_, E_, seed=13) / 2, rand(E_, seed=14) / 4
SEQ_Q, SEQ_K = rand(3, 2, E_, seed=15), rand(5, 2, E_, seed=16)


def _mha(bias_shape=None, **kw):
    def call(L, q, k, w, b, ow, ob, *bias):
        bias_k, bias_v = (t.reshape(bias_shape) for t in bias) if bias else (None, None)
        out, weights = L.F.multi_head_attention_forward(q, k, k, E_, HEADS, w, b, bias_k, bias_v,
                                                        False, 0.0, ow, ob, **kw)
        return out if weights is None else (out, weights)
    return call


ATTENTION_CASES = [
    case("mha", _mha(), SEQ_Q, SEQ_K, MHA_W, MHA_B, OUT_W, OUT_B),
    case("mha-bias_k-E", _mha((E_,)), SEQ_Q, SEQ_K, MHA_W, MHA_B, OUT_W, OUT_B, rand(E_),
         rand(E_, seed=1)),
    case("mha-bias_k-1E", _mha((1, E_)), SEQ_Q, SEQ_K, MHA_W, MHA_B, OUT_W, OUT_B, rand(E_),
         rand(E_, seed=1)),
    case("mha-bias_k-11E", _mha((1, 1, E_)), SEQ_Q, SEQ_K, MHA_W, MHA_B, OUT_W, OUT_B, rand(E_),
         rand(E_, seed=1)),
    case("mha-bias_k-2E", _mha((2, 2)), SEQ_Q, SEQ_K, MHA_W, MHA_B, OUT_W, OUT_B, rand(E_),
         rand(E_, seed=1), raises=True),
    case("mha-unbatched", _mha(), SEQ_Q[:, 0], SEQ_K[:, 0], MHA_W, MHA_B, OUT_W, OUT_B),
    case("mha-no-weights", _mha(need_weights=False), SEQ_Q, SEQ_K, MHA_W, MHA_B, OUT_W, OUT_B),
    case("mha-per-head", _mha(average_attn_weights=False), SEQ_Q, SEQ_K, MHA_W, MHA_B, OUT_W,
         OUT_B),
    case("mha-empty-batch", _mha(), SEQ_Q[:, :0], SEQ_K[:, :0], MHA_W, MHA_B, OUT_W, OUT_B),
    case("sdpa", lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v),
         rand(2, 3, 4), rand(2, 5, 4, seed=1), rand(2, 5, 6, seed=2)),
    case("sdpa-causal", lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v,
                                                                            is_causal=True),
         rand(2, 3, 4), rand(2, 5, 4, seed=1), rand(2, 5, 6, seed=2)),
    case("sdpa-broadcast-batch", lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v),
         rand(2, 1, 3, 4), rand(1, 3, 5, 4, seed=1), rand(3, 5, 4, seed=2)),
    case("sdpa-empty-batch", lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v),
         np.zeros((0, 3, 4), np.float32), np.zeros((0, 5, 4), np.float32),
         np.zeros((0, 5, 4), np.float32)),
    case("sdpa-empty-queries", lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v),
         np.zeros((2, 0, 4), np.float32), rand(2, 5, 4, seed=1), rand(2, 5, 4, seed=2)),
    case("sdpa-bool-mask", lambda L, q, k, v, m: L.F.scaled_dot_product_attention(
        q, k, v, attn_mask=m > 0), rand(2, 3, 4), rand(2, 5, 4, seed=1), rand(2, 5, 4, seed=2),
         rand(3, 5, seed=3) + 1),
    case("sdpa-scale", lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v, scale=0.3),
         rand(3, 4), rand(5, 4, seed=1), rand(5, 2, seed=2)),
]


@pytest.mark.parametrize("fn, inputs, how", ATTENTION_CASES)
def test_attention(fn, inputs, how):
    check_against_torch(fn, inputs, how)


# ---- modules without parameters, in their every documented form ---------------------------------

def module(build):
    """A row's call: build the module with `build(nn)` in the library, then call it."""
    return lambda L, *xs: build(L.nn)(*xs)


MODULE_CASES = [
    case("nn.Flatten-default", module(lambda nn: nn.Flatten()), IMG),
    case("nn.Flatten-0", module(lambda nn: nn.Flatten(0)), IMG0),
    case("nn.Flatten-0d", module(lambda nn: nn.Flatten(0)), S),
    case("nn.Unflatten", module(lambda nn: nn.Unflatten(1, (2, 2))), M),
    case("nn.Unflatten-minus1", module(lambda nn: nn.Unflatten(1, (2, -1))), M),
    case("nn.Identity-0d", module(lambda nn: nn.Identity()), S),
    case("nn.Softmax-dim", module(lambda nn: nn.Softmax(dim=-1)), B3),
    case("nn.Softmax-empty", module(lambda nn: nn.Softmax(1)), E30),
    case("nn.LogSoftmax-0d", module(lambda nn: nn.LogSoftmax(0)), S),
    case("nn.ReLU-empty-batch", module(lambda nn: nn.ReLU()), IMG0),
    case("nn.GELU-tanh", module(lambda nn: nn.GELU("tanh")), M),
    case("nn.LeakyReLU", module(lambda nn: nn.LeakyReLU(0.3)), M),
    case("nn.Hardtanh", module(lambda nn: nn.Hardtanh(-0.5, 0.5)), M),
    case("nn.ELU", module(lambda nn: nn.ELU(0.7)), M),
    case("nn.MaxPool2d-1-tuples", module(lambda nn: nn.MaxPool2d((2,), stride=(1,))), IMG),
    case("nn.MaxPool2d-empty-batch", module(lambda nn: nn.MaxPool2d(3, 2, 1)), IMG0),
    case("nn.AvgPool2d-1-tuples", module(lambda nn: nn.AvgPool2d((2,), (2,), (1,))), IMG),
    case("nn.AdaptiveAvgPool2d-None", module(lambda nn: nn.AdaptiveAvgPool2d((None, 2))), IMG),
    case("nn.AdaptiveMaxPool2d-empty", module(lambda nn: nn.AdaptiveMaxPool2d(2)), IMG0),
    case("nn.Dropout-eval", module(lambda nn: nn.Dropout(0.5).eval()), M),
    case("nn.LocalResponseNorm", module(lambda nn: nn.LocalResponseNorm(2)), IMG),
    case("nn.BatchNorm2d-no-affine", module(lambda nn: nn.BatchNorm2d(3, affine=False)), IMG),
    case("nn.BatchNorm2d-empty", module(lambda nn: nn.BatchNorm2d(3, affine=False)), IMG0),
    case("nn.BatchNorm1d-3d", module(lambda nn: nn.BatchNorm1d(3, affine=False)),
         rand(2, 3, 5)),
    case("nn.BatchNorm1d-no-stats", module(lambda nn: nn.BatchNorm1d(
        3, affine=False, track_running_stats=False).eval()), rand(4, 3)),
    case("nn.LayerNorm-int-no-affine", module(lambda nn: nn.LayerNorm(4,
                                                                      elementwise_affine=False)),
         M),
    case("nn.GroupNorm-no-affine", module(lambda nn: nn.GroupNorm(3, 3, affine=False)), IMG0),
    case("nn.CrossEntropyLoss-empty", module(lambda nn: nn.CrossEntropyLoss()), EMPTY_LOGITS,
         EMPTY_LABELS),
    case("nn.CrossEntropyLoss-sum", module(lambda nn: nn.CrossEntropyLoss(reduction="sum",
                                                                          label_smoothing=0.2)),
         LOGITS, LABELS),
    case("nn.MSELoss-empty", module(lambda nn: nn.MSELoss()), E03, E03),
    case("nn.L1Loss-0d", module(lambda nn: nn.L1Loss()), S, pos()),
    case("nn.BCEWithLogitsLoss", module(lambda nn: nn.BCEWithLogitsLoss()), M,
         (rand(3, 4, seed=1) > 0).astype(np.float32)),
    case("nn.KLDivLoss-batchmean", module(lambda nn: nn.KLDivLoss(reduction="batchmean")),
         rand(3, 4), pos(3, 4)),
    case("nn.NLLLoss-empty", module(lambda nn: nn.NLLLoss()), EMPTY_LOGITS, EMPTY_LABELS),
]


@pytest.mark.parametrize("fn, inputs, how", MODULE_CASES)
def test_modules(fn, inputs, how):
    check_against_torch(fn, inputs, how)
