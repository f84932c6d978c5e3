"""Run by mpiexec from test_ddp.py: ranks start from different random weights, wrap them in
DistributedDataParallel and take momentum-SGD steps on their shares of each global batch, in
three ways (plain; SyncBatchNorm; gradient accumulation with no_sync). Writes rank R's final
weights and gradients to OUT/<case>-R.npz and its other findings to OUT/findings-R.json.

    ddp_job.py OUT DEVICE BACKEND
"""
import json
import sys

import numpy as np

import minicnn as mc
import minicnn.distributed as dist
import minicnn.functional as F
from ddp_models import PER_RANK, arrays_of, global_batches, make_net, train
from minicnn.nn import SyncBatchNorm
from minicnn.nn.parallel import DistributedDataParallel

TINY_BUCKETS_MB = 0.0005         # a few parameters per bucket: many buckets, many messages


def shard(batches, rank):
    part = slice(rank * PER_RANK, (rank + 1) * PER_RANK)
    return [(x[part], y[part]) for x, y in batches]


def accumulate_in_two(model, x, y):
    """Half the share under no_sync, then the other half synchronised."""
    half = PER_RANK // 2
    with model.no_sync():
        (F.cross_entropy(model(x[:half]), y[:half]) / 2).backward()
    (F.cross_entropy(model(x[half:]), y[half:]) / 2).backward()


def main(out, device, backend):
    dist.init_process_group(backend, timeout=60)
    rank, n = dist.get_rank(), dist.get_world_size()
    batches = shard(global_batches(n), rank)
    findings = {}
    cases = {"plain": (False, None), "syncbn": (True, None),
             "no_sync": (False, accumulate_in_two)}
    for case, (batchnorm, step) in cases.items():
        net = make_net(100 + rank, batchnorm).to(device)
        if batchnorm:
            net = SyncBatchNorm.convert_sync_batchnorm(net)
        before = net.conv1.weight.detach().cpu().numpy().copy()
        model = DistributedDataParallel(net, bucket_cap_mb=TINY_BUCKETS_MB)
        findings[f"{case} buckets"] = len(model.reducer.buckets)
        findings[f"{case} weights differed before"] = float(np.abs(before).sum())
        findings[f"{case} first weight after wrapping"] = float(
            net.conv1.weight.detach().cpu().numpy().sum())
        if case == "plain":
            launched = []
            # conv1 is the first layer, so backward reaches it last: by then the buckets
            # of the later layers must be on their way
            net.conv1.weight.register_post_accumulate_grad_hook(
                lambda _: launched.append(model.reducer.launched))
        train(model, batches, device, step)
        if case == "plain":
            findings["buckets launched when conv1's gradient was ready"] = launched
        np.savez(f"{out}/{case}-{rank}.npz", **arrays_of(net))
    with open(f"{out}/findings-{rank}.json", "w") as f:
        json.dump(findings, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:4])
