"""The op table (op_table.py) on CUDA: every row's outputs and every input's gradient equal
the same row's on the CPU. Float32 runs on cuda:0; float64 runs on the last GPU (cuda:1
where there are two), a device that is not the current one, so that every op shows it
computes where its tensors live. The reference kernels on CUDA are test_op_table.py's FORMS
check."""
import numpy as np
import pytest
from op_runs import assert_same, for_each_case, outputs_and_gradients
from op_table import FORWARD, OPS

import minicnn as mc

pytestmark = [pytest.mark.gpu,
              pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")]

# rtol, and atol relative to the largest magnitude of the CPU result: the CUDA kernels add
# in another order than the CPU ones (per block, per thread)
TOLERANCE = {np.float32: (1e-5, 1e-5), np.float64: (1e-10, 1e-12)}
# drawn cases per drawn row on CUDA: a few of those the CPU checks draw
EXAMPLES = 3


def rows():
    """The rows that run on CUDA (`on_cuda`) and are deterministic (FORWARD): dropout's
    masks come from each device's own generator."""
    return [pytest.param(op, id=op.id) for op in OPS if FORWARD in op.checks and op.on_cuda]


@pytest.mark.parametrize("op", rows())
def test_cuda_matches_cpu(op):
    devices = {np.float32: "cuda:0", np.float64: f"cuda:{mc.cuda.device_count() - 1}"}

    def check(case):
        for dtype, (rtol, atol) in TOLERANCE.items():
            cpu_outs, cpu_grads = outputs_and_gradients(op, case, dtype, "cpu")
            outs, grads = outputs_and_gradients(op, case, dtype, devices[dtype])
            for t in outs + grads:
                assert t is None or t.device == devices[dtype], (t.device, devices[dtype])
            assert_same(outs + grads, cpu_outs + cpu_grads, rtol, atol)

    for_each_case(op, check, EXAMPLES)
