"""DistributedDataParallel in real `mpiexec -n 2` and `-n 3` jobs: ranks that start from
different random weights end with identical weights, equal (to 1e-5 relative) to one
process training on the whole batch with the same momentum-SGD steps; with SyncBatchNorm
and with gradient accumulation under no_sync too. A gpu-marked run does the same on CUDA
tensors (over NCCL where it is there, and two GPUs, else over MPI)."""
import importlib.util
import json

import numpy as np
import pytest

import minicnn as mc
from ddp_models import arrays_of, global_batches, make_net, train
from mpi_jobs import needs_mpi, run

pytestmark = needs_mpi
CASES = ("plain", "syncbn", "no_sync")


def job(tmp_path_factory, n, device, backend):
    out = tmp_path_factory.mktemp(f"ddp-{device}-{n}")
    run(n, "ddp_job.py", out, device, backend)
    states = {case: [dict(np.load(out / f"{case}-{r}.npz")) for r in range(n)]
              for case in CASES}
    findings = [json.loads((out / f"findings-{r}.json").read_text()) for r in range(n)]
    return n, states, findings


@pytest.fixture(scope="module", params=[2, 3], ids=["2 processes", "3 processes"])
def cpu_job(request, tmp_path_factory):
    return job(tmp_path_factory, request.param, "cpu", "mpi")


def reference(n, case):
    """One process, rank 0's initial weights, the whole batch."""
    return arrays_of(train(make_net(100, batchnorm=case == "syncbn"), global_batches(n)))


def check_against_one_process(n, states, case):
    ranks = states[case]
    for r in range(1, n):
        assert ranks[r].keys() == ranks[0].keys()
        for key in ranks[0]:
            np.testing.assert_array_equal(ranks[r][key], ranks[0][key], err_msg=f"rank {r} {key}")
    alone = reference(n, case)
    for key, value in alone.items():
        got = ranks[0][key]
        assert got.shape == value.shape, key      # a gradient is there, or absent, alike
        if key.startswith("grad:"):               # (conv1.bias's is rounding noise under BN)
            continue
        if value.dtype.kind == "f" and value.size:
            scale = np.abs(value).max()
            assert np.abs(got - value).max() <= 1e-5 * scale, key
        else:
            np.testing.assert_array_equal(got, value, err_msg=key)


@pytest.mark.parametrize("case", CASES)
def test_ranks_end_identical_and_equal_to_one_process(cpu_job, case):
    n, states, _ = cpu_job
    check_against_one_process(n, states, case)


def test_ranks_started_from_different_weights_and_took_rank_0s(cpu_job):
    _, _, findings = cpu_job
    for case in CASES:
        assert len({f[f"{case} weights differed before"] for f in findings}) == len(findings)
        assert len({f[f"{case} first weight after wrapping"] for f in findings}) == 1


def test_unused_parameters_keep_no_gradient(cpu_job):
    _, states, _ = cpu_job
    for case in CASES:
        for state in states[case]:
            assert state["grad:unused.weight"].size == 0


def test_buckets_start_while_backward_goes_on(cpu_job):
    _, _, findings = cpu_job
    for f in findings:
        assert f["plain buckets"] > 3
        launched = f["buckets launched when conv1's gradient was ready"]
        assert len(launched) == 4 and min(launched) >= 1


def _backend_for_cuda(n):
    """NCCL needs a GPU per process; with fewer GPUs (or no NCCL) CUDA tensors go over MPI."""
    if importlib.util.find_spec("cupy") is None:
        return "mpi"
    import cupy
    try:
        import cupy.cuda.nccl  # noqa: F401
    except ImportError:
        return "mpi"
    return "nccl" if cupy.cuda.runtime.getDeviceCount() >= n and \
        cupy.cuda.nccl.available else "mpi"


@pytest.mark.gpu
@pytest.mark.parametrize("case", CASES)
def test_on_cuda_ranks_end_identical_and_equal_to_one_process(tmp_path_factory, case):
    n = 2
    _, states, _ = job(tmp_path_factory, n, "cuda", _backend_for_cuda(n))
    check_against_one_process(n, states, case)
    assert mc.cuda.is_available()
