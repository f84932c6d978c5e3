"""`minicnn train` in several processes: `--nproc N` starts `mpiexec -n N` on the same
command, and a command started by mpiexec joins the process group, in which rank 0 alone
chooses the run folder, prints, checkpoints and evaluates."""
import subprocess
import sys

from .. import cuda, distributed
from .errors import UsageError


def _without_nproc(argv):
    """`argv` with its --nproc option removed."""
    out, skip = [], False
    for word in argv:
        if skip:
            skip = False
        elif word == "--nproc":
            skip = True
        elif not word.startswith("--nproc="):
            out.append(word)
    return out


def launch(nproc, argv):
    """Run `minicnn <argv>` (less --nproc) in `nproc` processes under mpiexec; its exit
    status. Ctrl-C reaches the processes, which checkpoint and stop together."""
    mpiexec = distributed.find_mpiexec()
    if mpiexec is None:
        raise UsageError(f"--nproc {nproc}: mpiexec is not installed (pip install "
                         f"'minicnn[mpi]' brings MPI and its mpiexec)")
    command = [mpiexec, "-n", str(nproc), sys.executable, "-m", "minicnn",
               *_without_nproc(argv)]
    process = subprocess.Popen(command)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:        # the processes got it too; wait for their stop
            continue


def join(nproc, device):
    """Join the process group when mpiexec started this command with other processes;
    returns the device this process trains on."""
    size = distributed.launched_world_size()
    if nproc is not None and size is not None and nproc != size:
        raise UsageError(f"--nproc {nproc}: the command already runs in {size} processes "
                         f"started by mpiexec")
    if size is None or size == 1:
        return device
    distributed.init_process_group("nccl" if device == "cuda" else "mpi")
    if device == "cuda":
        return f"cuda:{distributed.get_node_local_rank() % cuda.device_count()}"
    return device


def launched_world_size():
    return distributed.launched_world_size()


def world_size():
    return distributed.get_world_size() if distributed.is_initialized() else 1


def is_main():
    return not distributed.is_initialized() or distributed.get_rank() == 0


def shared(decide):
    """Rank 0's `decide()` on every rank (the run folder, its record): rank 0 decides, and
    its answer, or its UsageError, reaches the others, which then end quietly."""
    if world_size() == 1:
        return decide()
    answer = [None, None]
    if is_main():
        try:
            answer[0] = decide()
        except UsageError as error:
            answer[1] = str(error)
    distributed.broadcast_object_list(answer, src=0)
    if answer[1] is not None:
        if is_main():
            raise UsageError(answer[1])
        raise SystemExit(2)
    return answer[0]


def leave():
    if distributed.is_initialized():
        distributed.destroy_process_group()
