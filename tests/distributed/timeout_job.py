"""Run by mpiexec from test_collectives.py: rank 0 makes one all_reduce more than the other
ranks; it must raise CollectiveTimeout after the group's timeout rather than hang, and the
group then refuses further work. Writes rank 0's errors to OUT/timeout.json."""
import json
import sys
import time

import minicnn as mc
import minicnn.distributed as dist

TIMEOUT = 2


def main(out):
    dist.init_process_group("mpi", timeout=TIMEOUT)
    dist.barrier()
    if dist.get_rank() != 0:
        return
    started = time.monotonic()
    try:
        dist.all_reduce(mc.ones(4))
        first = None
    except dist.CollectiveTimeout as error:
        first = str(error)
    waited = time.monotonic() - started
    try:
        dist.barrier()
        second = None
    except RuntimeError as error:
        second = str(error)
    with open(f"{out}/timeout.json", "w") as f:
        json.dump({"first": first, "second": second, "waited": waited,
                   "timeout": TIMEOUT}, f)


if __name__ == "__main__":
    main(sys.argv[1])
