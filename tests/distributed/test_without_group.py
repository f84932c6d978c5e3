"""What mc.distributed, DistributedDataParallel and DistributedSampler say in a process that
has no process group (no MPI needed): errors naming the function, the argument and the
value, raised before MPI is started."""
import datetime

import pytest

import minicnn as mc
import minicnn.distributed as dist


@pytest.mark.parametrize("call, name", [
    (lambda: dist.get_rank(), "get_rank"),
    (lambda: dist.get_world_size(), "get_world_size"),
    (lambda: dist.all_reduce(mc.ones(2)), "all_reduce"),
    (lambda: dist.broadcast(mc.ones(2), 0), "broadcast"),
    (lambda: dist.all_gather([mc.ones(2)], mc.ones(2)), "all_gather"),
    (lambda: dist.reduce_scatter(mc.ones(2), [mc.ones(2)]), "reduce_scatter"),
    (lambda: dist.barrier(), "barrier"),
    (lambda: dist.destroy_process_group(), "destroy_process_group"),
])
def test_calls_before_init_name_the_function(call, name):
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match=rf"^{name}: the default process group is not "
                                           r"initialized; call mc.distributed.init_process_group"):
        call()


def test_unknown_backend_is_named():
    with pytest.raises(ValueError, match=r"init_process_group: backend must be one of \('mpi', "
                                         r"'nccl'\), got 'gloo'"):
        dist.init_process_group("gloo")


@pytest.mark.parametrize("timeout", [0, -1, "soon", datetime.timedelta(0)])
def test_bad_timeout_is_named(timeout):
    with pytest.raises(ValueError, match="init_process_group: timeout must be a positive"):
        dist.init_process_group("mpi", timeout=timeout)


def test_ddp_before_init():
    with pytest.raises(RuntimeError, match="DistributedDataParallel: the default process group "
                                           "is not initialized"):
        mc.nn.parallel.DistributedDataParallel(mc.nn.Linear(2, 2))


def test_sampler_needs_replicas_and_rank_without_a_group():
    with pytest.raises(RuntimeError, match="DistributedSampler: num_replicas is None and the "
                                           "default process group is not initialized"):
        mc.data.DistributedSampler(range(10))


def test_reduce_op_names():
    assert [str(op) for op in dist.ReduceOp] == ["ReduceOp.SUM", "ReduceOp.PRODUCT",
                                                 "ReduceOp.MIN", "ReduceOp.MAX",
                                                 "ReduceOp.AVG"]


def test_sync_batchnorm_alone_is_batchnorm():
    mc.manual_seed(0)
    x = mc.randn(6, 3, 4, 4)
    plain = mc.nn.BatchNorm2d(3)
    sync = mc.nn.SyncBatchNorm.convert_sync_batchnorm(mc.nn.Sequential(mc.nn.BatchNorm2d(3)))
    assert isinstance(sync[0], mc.nn.SyncBatchNorm)
    assert mc.allclose(sync(x), plain(x))
    assert mc.allclose(sync[0].running_var, plain.running_var)
