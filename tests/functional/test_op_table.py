"""The op table's checks (op_table.py), one test function per kind of check, each run on
every row that takes it: float64 gradcheck, parity with PyTorch (forward, and every input's
gradient), dtypes kept, and the reference kernels equal to the default ones."""
import numpy as np
import pytest
from conftest import as_inputs, assert_torch_parity, check_gradients
from hypothesis import given, settings
from op_inputs import Case
from op_table import DTYPE, FORMS, FORWARD, GRADCHECK, GRADIENTS, OPS

import minicnn as mc

# PyTorch's notice that kl_div's reduction='mean' is not the mathematical mean
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")


def rows(check):
    return [pytest.param(op, id=op.id) for op in OPS if check in op.checks]


def for_each_case(op, check):
    """Run `check(case)` on the row's fixed inputs, or on each case hypothesis draws."""
    if not op.drawn:
        check(Case(op.inputs, op.kwargs))
        return

    @given(op.inputs)
    def run(case):
        check(Case(case.arrays, {**op.kwargs, **case.kwargs}))

    if op.examples:
        run = settings(max_examples=op.examples, derandomize=True)(run)
    run()


def cast(arrays, dtype):
    """The floating arrays in `dtype`; everything else as it is."""
    return tuple(a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                 for a in arrays)


def bound(fn, lib, case):
    return lambda *tensors: fn(lib, *tensors, **case.kwargs)


def outputs_and_gradients(op, case, dtype):
    """The row's tensor outputs in minicnn on `dtype` inputs, and the gradients of its inputs
    under one fixed random upstream gradient."""
    tensors = as_inputs(cast(case.arrays, dtype), op.requires_grad)
    out = op.fn(mc, *tensors, **case.kwargs)
    outs = [o for o in (out if isinstance(out, (tuple, list)) else [out])
            if isinstance(o, mc.Tensor)]
    differentiable = [o for o in outs if o.requires_grad]
    if differentiable:
        rng = np.random.default_rng(0)
        sum((o * mc.tensor(rng.standard_normal(o.shape).astype(o.dtype))).sum()
            for o in differentiable).backward()
    grads = [t.grad for t in tensors if isinstance(t, mc.Tensor) and t.requires_grad]
    return outs, grads


@pytest.mark.parametrize("op", rows(GRADCHECK))
def test_gradcheck(op):
    for_each_case(op, lambda case: check_gradients(bound(op.fn, mc, case), *case.arrays,
                                                   requires_grad=op.requires_grad,
                                                   **op.gradcheck))


@pytest.mark.parametrize("op", rows(FORWARD))
def test_matches_torch(op):
    """Outputs equal PyTorch's, and with GRADIENTS every input's gradient too."""
    torch = pytest.importorskip("torch")

    def check(case):
        requires_grad = op.torch_requires_grad or op.requires_grad
        if GRADIENTS not in op.checks:
            requires_grad = [False] * len(case.arrays)
        assert_torch_parity(bound(op.fn, mc, case), bound(op.torch_fn or op.fn, torch, case),
                            *cast(case.arrays, op.parity_dtype), requires_grad=requires_grad,
                            rtol=op.rtol, atol=op.atol)

    for_each_case(op, check)


@pytest.mark.parametrize("op", rows(DTYPE))
def test_keeps_dtype(op):
    """float32 inputs give float32 outputs and gradients; float64 inputs float64 ones."""
    def check(case):
        for dtype in (np.float32, np.float64):
            outs, grads = outputs_and_gradients(op, case, dtype)
            floats = [t.dtype for t in outs + grads if t is not None and t.dtype.kind == "f"]
            assert floats == [dtype] * len(floats), (dtype, floats)

    for_each_case(op, check)


# rtol, and atol relative to the largest magnitude of the default kernels' result
FORMS_TOLERANCE = {np.float32: (1e-5, 1e-5), np.float64: (1e-10, 1e-12)}


@pytest.mark.parametrize("op", rows(FORMS))
def test_reference_kernels_agree(op):
    """With set_kernels("reference") the outputs and gradients equal the default kernels'."""
    def check(case):
        for dtype, (rtol, atol) in FORMS_TOLERANCE.items():
            fast_outs, fast_grads = outputs_and_gradients(op, case, dtype)
            with mc.set_kernels("reference"):
                outs, grads = outputs_and_gradients(op, case, dtype)
            pairs = list(zip(outs, fast_outs)) + list(zip(grads, fast_grads))
            for got, expected in pairs:
                assert (got is None) == (expected is None)
                if expected is None:
                    continue
                expected = expected.detach().numpy()
                np.testing.assert_allclose(got.detach().numpy(), expected, rtol=rtol,
                                           atol=atol * max(1, np.abs(expected).max(initial=0)))

    for_each_case(op, check)
