"""The op table's checks (op_table.py), one test function per kind of check, each run on
every row that takes it: float64 gradcheck, parity with PyTorch (forward, and every input's
gradient), dtypes kept, and the reference kernels equal to the default ones (on the CPU and
on CUDA; the rows' CUDA results against the CPU's are test_cuda_parity.py's)."""
import numpy as np
import pytest
from conftest import assert_torch_parity, check_gradients
from op_runs import assert_same, cast, for_each_case, outputs_and_gradients
from op_table import DTYPE, FORMS, FORWARD, GRADCHECK, GRADIENTS, OPS

import minicnn as mc

# PyTorch's notice that kl_div's reduction='mean' is not the mathematical mean
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")


def rows(check):
    return [pytest.param(op, id=op.id) for op in OPS if check in op.checks]


def forms_rows():
    """The FORMS rows on "cpu", and those that run on CUDA on "cuda"."""
    return [pytest.param(op, "cpu", id=f"{op.id}-cpu") for op in OPS if FORMS in op.checks] + [
        pytest.param(op, "cuda", id=f"{op.id}-cuda", marks=pytest.mark.gpu)
        for op in OPS if FORMS in op.checks and op.on_cuda]


def bound(fn, lib, case):
    return lambda *tensors: fn(lib, *tensors, **case.kwargs)


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


@pytest.mark.parametrize("op, device", forms_rows())
def test_reference_kernels_agree(op, device):
    """With set_kernels("reference") the outputs and gradients equal the default kernels'
    (the cpu forms on "cpu", the cuda forms on "cuda")."""
    def check(case):
        for dtype, (rtol, atol) in FORMS_TOLERANCE.items():
            fast_outs, fast_grads = outputs_and_gradients(op, case, dtype, device)
            with mc.set_kernels("reference"):
                outs, grads = outputs_and_gradients(op, case, dtype, device)
            assert_same(outs + grads, fast_outs + fast_grads, rtol, atol)

    for_each_case(op, check)
