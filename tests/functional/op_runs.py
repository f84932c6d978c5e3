"""Running one row of the op table (op_table.py): on its fixed inputs or on drawn cases, in a
chosen dtype and on a chosen device, giving the row's tensor outputs and its inputs'
gradients. Shared by the table's checks on the CPU (test_op_table.py) and on CUDA
(test_cuda_parity.py)."""
import numpy as np
from hypothesis import given, settings
from op_inputs import Case

import minicnn as mc


def for_each_case(op, check, examples=None):
    """Run `check(case)` on the row's fixed inputs, or on each case hypothesis draws (the
    row's `examples`, or `examples` where given)."""
    if not op.drawn:
        check(Case(op.inputs, op.kwargs))
        return

    @given(op.inputs)
    def run(case):
        check(Case(case.arrays, {**op.kwargs, **case.kwargs}))

    examples = examples or op.examples
    if examples:
        run = settings(max_examples=examples, derandomize=True)(run)
    run()


def cast(arrays, dtype):
    """The floating arrays in `dtype`; everything else as it is."""
    return tuple(a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                 for a in arrays)


def as_inputs(arrays, requires_grad=None, device="cpu"):
    """minicnn leaf tensors on `device` from arrays: float arrays require grad unless
    `requires_grad` says; other arguments as they are."""
    tensors = []
    for i, a in enumerate(arrays):
        if not isinstance(a, np.ndarray):
            tensors.append(a)
            continue
        grad = a.dtype.kind == "f" if requires_grad is None else requires_grad[i]
        tensors.append(mc.tensor(a.copy(), device=device, requires_grad=grad))
    return tensors


def outputs_and_gradients(op, case, dtype, device="cpu"):
    """The row's tensor outputs in minicnn on `dtype` inputs on `device`, and the gradients
    of its inputs under one fixed random upstream gradient."""
    tensors = as_inputs(cast(case.arrays, dtype), op.requires_grad, device)
    out = op.fn(mc, *tensors, **case.kwargs)
    outs = [o for o in (out if isinstance(out, (tuple, list)) else [out])
            if isinstance(o, mc.Tensor)]
    differentiable = [o for o in outs if o.requires_grad]
    if differentiable:
        rng = np.random.default_rng(0)
        sum((o * mc.tensor(rng.standard_normal(o.shape).astype(o.dtype), device=o.device))
            .sum() for o in differentiable).backward()
    grads = [t.grad for t in tensors if isinstance(t, mc.Tensor) and t.requires_grad]
    return outs, grads


def assert_same(got, expected, rtol, atol):
    """Each tensor of `got` (or None) equals the one of `expected` (on any device): within
    `rtol`, and `atol` times the largest magnitude of the expected tensor (at least 1)."""
    assert len(got) == len(expected), (len(got), len(expected))
    for i, (g, e) in enumerate(zip(got, expected)):
        assert (g is None) == (e is None), f"tensor {i}: {g!r} against {e!r}"
        if e is None:
            continue
        assert g.dtype == e.dtype, f"tensor {i}: dtype {g.dtype} against {e.dtype}"
        e = e.detach().cpu().numpy()
        np.testing.assert_allclose(g.detach().cpu().numpy(), e, rtol=rtol,
                                   atol=atol * max(1, np.abs(e).max(initial=0)),
                                   err_msg=f"tensor {i}")
