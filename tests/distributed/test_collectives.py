"""mc.distributed's collectives in real `mpiexec -n 2` and `-n 3` jobs: results on
float32/float64 tensors of odd shapes, and mismatched calls that raise on every rank with a
message naming the function, the argument and the values (or time out) instead of hanging."""
import json

import pytest

from mpi_jobs import needs_mpi, run

pytestmark = needs_mpi


@pytest.fixture(scope="module", params=[2, 3], ids=["2 processes", "3 processes"])
def findings(request, tmp_path_factory):
    """Each rank's findings of collectives_job.py, run once per world size."""
    out = tmp_path_factory.mktemp(f"collectives{request.param}")
    run(request.param, "collectives_job.py", out)
    return [json.loads((out / f"rank-{r}.json").read_text()) for r in range(request.param)]


def failures(findings, prefix):
    """(rank, case) of the cases named `prefix…` that did not hold; asserts there are some."""
    cases = [(r, k) for r, found in enumerate(findings) for k in found if k.startswith(prefix)]
    assert cases, prefix
    return [(r, k) for r, k in cases if findings[r][k] is not True]


@pytest.mark.parametrize("collective", ["all_reduce", "broadcast", "all_gather",
                                        "reduce_scatter"])
def test_collective_matches_numpy_on_every_rank(findings, collective):
    assert failures(findings, collective) == []


@pytest.mark.parametrize("case", ["async work is a Work", "broadcast_object_list",
                                  "still usable after errors"])
def test_other_calls(findings, case):
    assert all(found[case] is True for found in findings)


def test_world_size_and_ranks(findings):
    assert [f["rank"] for f in findings] == list(range(len(findings)))
    assert {f["world_size"] for f in findings} == {len(findings)}


MISMATCHES = {
    "shape mismatch": "ValueError: all_reduce: tensor's shape is (3,) on rank 0 but (4,) on "
                      "rank 1; it must be the same on every rank",
    "dtype mismatch": "ValueError: all_reduce: tensor's dtype is float32 on rank 0 but float64 "
                      "on rank 1; it must be the same on every rank",
    "op mismatch": "ValueError: all_reduce: op is ReduceOp.SUM on rank 0 but ReduceOp.MAX on "
                   "rank 1; it must be the same on every rank",
    "src mismatch": "ValueError: broadcast: src is 0 on rank 0 but 1 on rank 1; it must be the "
                    "same on every rank",
}


@pytest.mark.parametrize("case", sorted(MISMATCHES))
def test_mismatch_raises_the_same_message_on_every_rank(findings, case):
    assert [f[case] for f in findings] == [MISMATCHES[case]] * len(findings)


def test_different_collectives_raise_on_every_rank(findings):
    for rank, found in enumerate(findings):
        function = "all_reduce" if rank == 0 else "broadcast"
        assert found["call mismatch"] == (
            f"ValueError: {function}: rank 0 called all_reduce where rank 1 called broadcast; "
            f"every rank must call the same collectives in the same order")


def test_ddp_of_other_parameter_shapes_raises_on_every_rank(findings):
    for found in findings:
        assert found["DDP of other shapes"].startswith(
            "ValueError: DistributedDataParallel: checksum of parameter shapes is ")
        assert found["DDP of other shapes"].endswith("; it must be the same on every rank")


def test_local_argument_errors(findings):
    n = len(findings)
    found = findings[0]
    assert found["bad src"] == f"ValueError: broadcast: src must be a rank in [0, {n}), got {n}"
    assert found["AVG of ints"] == ("TypeError: all_reduce: op ReduceOp.AVG needs a floating "
                                    "tensor, got dtype int64")
    assert found["bad op"].startswith("ValueError: all_reduce: op must be a ReduceOp")
    assert found["short tensor_list"] == (f"ValueError: all_gather: tensor_list holds 1 tensors "
                                          f"but the world size is {n}")
    assert found["init twice"].startswith("RuntimeError: init_process_group: the default "
                                          "process group is already initialized")


def test_a_missing_rank_times_out_instead_of_hanging(tmp_path):
    run(2, "timeout_job.py", tmp_path, timeout=120)
    found = json.loads((tmp_path / "timeout.json").read_text())
    assert found["first"].startswith("all_reduce: not every rank took part within the timeout "
                                     "of 2 s")
    assert found["timeout"] <= found["waited"] < found["timeout"] + 30
    assert found["second"].startswith("barrier: the process group is unusable since an earlier "
                                      "collective timed out")
