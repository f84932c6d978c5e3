"""Run by mpiexec from test_collectives.py: every collective on float32/float64 tensors of
odd shapes, checked on each rank against the result computed from every rank's input, and
the errors of mismatched calls; writes rank R's findings to OUT/rank-R.json."""
import json
import sys
from functools import reduce

import numpy as np

import minicnn as mc
import minicnn.distributed as dist
from minicnn.distributed import ReduceOp
from minicnn.nn.parallel import DistributedDataParallel

SHAPES = [(), (1,), (7,), (3, 5), (2, 3, 5), (0, 4), (5, 1, 3)]
DTYPES = [np.float32, np.float64]
COMBINE = {ReduceOp.SUM: np.add, ReduceOp.PRODUCT: np.multiply, ReduceOp.MIN: np.minimum,
           ReduceOp.MAX: np.maximum}


def value(rank, shape, dtype, salt=0):
    """Rank `rank`'s input: any rank can make any other rank's."""
    rng = np.random.default_rng([rank, len(shape), salt, *shape])
    return (rng.uniform(0.5, 1.5, size=shape) * (1 + rank)).astype(dtype)


def expected_reduction(op, arrays, n):
    total = reduce(COMBINE.get(op, np.add), arrays)
    return total / n if op is ReduceOp.AVG else total


def close(got, want):
    tol = 1e-6 if want.dtype == np.float32 else 1e-13
    return got.shape == want.shape and got.dtype == want.dtype and \
        np.allclose(got, want, rtol=tol, atol=0)


def error_of(call):
    try:
        call()
    except Exception as error:          # noqa: BLE001 (the type is part of the finding)
        return f"{type(error).__name__}: {error}"
    return None


def main(out):
    dist.init_process_group("mpi", timeout=20)
    rank, n = dist.get_rank(), dist.get_world_size()
    found = {"world_size": n, "rank": rank}
    for dtype in DTYPES:
        for shape in SHAPES:
            tag = f"{np.dtype(dtype).name}{shape}"
            for op in ReduceOp:
                t = mc.tensor(value(rank, shape, dtype))
                dist.all_reduce(t, op=op)
                want = expected_reduction(op, [value(r, shape, dtype) for r in range(n)], n)
                found[f"all_reduce {op} {tag}"] = close(t.numpy(), want)
            for src in range(n):
                t = mc.tensor(value(rank, shape, dtype, salt=1))
                dist.broadcast(t, src)
                found[f"broadcast src={src} {tag}"] = close(t.numpy(),
                                                            value(src, shape, dtype, salt=1))
            gathered = [mc.zeros(shape, dtype=dtype) for _ in range(n)]
            dist.all_gather(gathered, mc.tensor(value(rank, shape, dtype, salt=2)))
            found[f"all_gather {tag}"] = all(close(g.numpy(), value(r, shape, dtype, salt=2))
                                             for r, g in enumerate(gathered))
            out_t = mc.zeros(shape, dtype=dtype)
            dist.reduce_scatter(out_t, [mc.tensor(value(rank, shape, dtype, salt=10 + r))
                                        for r in range(n)], op=ReduceOp.SUM)
            found[f"reduce_scatter {tag}"] = close(out_t.numpy(), expected_reduction(
                ReduceOp.SUM, [value(r, shape, dtype, salt=10 + rank) for r in range(n)], n))
    # in place on a non-contiguous view: the base sees the sum, the rest is untouched
    base = mc.tensor(np.arange(24, dtype=np.float32).reshape(4, 6))
    view = base[:, ::2]
    dist.all_reduce(view)
    want = np.arange(24, dtype=np.float32).reshape(4, 6)
    want[:, ::2] *= n
    found["all_reduce non-contiguous view"] = close(base.numpy(), want)
    ints = mc.tensor(np.arange(5, dtype=np.int64) * (rank + 1))
    dist.all_reduce(ints, op=ReduceOp.MAX)
    found["all_reduce int64 MAX"] = ints.tolist() == [i * n for i in range(5)]
    work = dist.all_reduce(mc.ones(3), async_op=True)
    found["async work is a Work"] = isinstance(work, dist.Work) and work.wait()
    objects = [{"rank": rank}, "x"] if rank == 1 else [None, None]
    dist.broadcast_object_list(objects, src=1)
    found["broadcast_object_list"] = objects == [{"rank": 1}, "x"]
    dist.barrier()
    # mismatched calls: every rank raises, with the same message
    found["shape mismatch"] = error_of(lambda: dist.all_reduce(mc.zeros(3 + rank)))
    found["dtype mismatch"] = error_of(lambda: dist.all_reduce(
        mc.zeros(3, dtype=mc.float64 if rank else mc.float32)))
    found["op mismatch"] = error_of(lambda: dist.all_reduce(
        mc.zeros(3), op=ReduceOp.MAX if rank else ReduceOp.SUM))
    found["src mismatch"] = error_of(lambda: dist.broadcast(mc.zeros(3), src=min(rank, 1)))
    found["call mismatch"] = error_of(lambda: dist.broadcast(mc.zeros(3), 0) if rank
                                      else dist.all_reduce(mc.zeros(3)))
    found["bad src"] = error_of(lambda: dist.broadcast(mc.zeros(3), src=n))
    found["AVG of ints"] = error_of(lambda: dist.all_reduce(mc.zeros(3, dtype=mc.int64),
                                                            op=ReduceOp.AVG))
    found["bad op"] = error_of(lambda: dist.all_reduce(mc.zeros(3), op="sum"))
    found["short tensor_list"] = error_of(lambda: dist.all_gather([mc.zeros(3)], mc.zeros(3)))
    found["DDP of other shapes"] = error_of(lambda: DistributedDataParallel(
        mc.nn.Linear(2, 2 + rank)))
    found["init twice"] = error_of(lambda: dist.init_process_group("mpi"))
    found["still usable after errors"] = error_of(lambda: dist.all_reduce(mc.ones(2))) is None
    dist.barrier()
    with open(f"{out}/rank-{rank}.json", "w") as f:
        json.dump(found, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
