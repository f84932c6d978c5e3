"""The default process group: which backend, this process's rank, the world size, the
timeout; made by init_process_group from what the MPI launcher set up."""
import datetime
import importlib
import numbers

from .agreement import encode, mismatch
from .launcher import launched_world_size
from .mpi_backend import MPIBackend
from .nccl_backend import NCCLBackend
from .work import CollectiveTimeout

BACKENDS = ("mpi", "nccl")
DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)
INSTALL = "pip install 'minicnn[mpi]'"

_group = None


class ProcessGroup:
    """The backend that moves the data, and whether an earlier timeout broke the group."""

    def __init__(self, backend, local_rank):
        self.backend = backend
        self.rank = backend.rank
        self.size = backend.size
        self.local_rank = local_rank
        self.timeout = backend.timeout
        self.broken = None

    def agree(self, call, fields):
        """Raise on every rank, with one message, unless all ranks make this call alike."""
        table = self.guarded(call, lambda: self.backend.exchange(encode(call, fields), call))
        problem = mismatch(call, fields, table)
        if problem is not None:
            raise ValueError(problem)

    def guarded(self, call, action):
        """Run `action()`; a timeout breaks the group, and a broken group refuses work."""
        if self.broken is not None:
            raise RuntimeError(f"{call}: the process group is unusable since an earlier "
                               f"collective timed out ({self.broken})")
        try:
            return action()
        except CollectiveTimeout as error:
            self.broken = str(error)
            raise


def _seconds(timeout):
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not timeout > 0:
        raise ValueError(f"init_process_group: timeout must be a positive timedelta or number "
                         f"of seconds, got {timeout!r}")
    return float(timeout)


def _import(module, backend):
    try:
        return importlib.import_module(module)
    except ImportError as error:
        need = "mpi4py and an MPI library" if module.startswith("mpi4py") else \
            "CuPy with NCCL (cupy.cuda.nccl)"
        raise RuntimeError(f"init_process_group: backend {backend!r} needs {need}, which do "
                           f"not import here ({error}); {INSTALL}"
                           + ("" if module.startswith("mpi4py") else " and minicnn[gpu]")) \
            from None


def init_process_group(backend="mpi", timeout=None, world_size=-1, rank=-1):
    """Join the processes that the MPI launcher started (`mpiexec -n N python ...`) into
    the default group. backend: "mpi" (any tensors, over MPI) or "nccl" (CUDA tensors over
    NCCL, one GPU per process, bootstrapped over MPI). timeout: how long a collective waits
    for every rank before it raises (a timedelta or seconds; default 30 minutes).
    world_size and rank, when given, must be the launcher's."""
    global _group
    if backend not in BACKENDS:
        raise ValueError(f"init_process_group: backend must be one of {BACKENDS}, got "
                         f"{backend!r}")
    if _group is not None:
        raise RuntimeError("init_process_group: the default process group is already "
                           "initialized; call destroy_process_group() first")
    seconds = _seconds(timeout)
    mpi = _import("mpi4py.MPI", backend)
    comm = mpi.COMM_WORLD.Dup()
    for name, given, actual in (("world_size", world_size, comm.Get_size()),
                                ("rank", rank, comm.Get_rank())):
        if given != -1 and given != actual:
            comm.Free()
            launched = launched_world_size()
            raise ValueError(f"init_process_group: {name} is {given!r} but the MPI launcher "
                             f"started this process with {name} {actual}"
                             + ("" if launched else " (it was not started by mpiexec)"))
    node = comm.Split_type(mpi.COMM_TYPE_SHARED)
    local_rank = node.Get_rank()
    node.Free()
    if backend == "nccl":
        nccl = _import("cupy.cuda.nccl", backend)
        if not getattr(nccl, "available", True):      # the module imports without libnccl
            comm.Free()
            raise RuntimeError("init_process_group: backend 'nccl' needs the NCCL library, "
                               "which CuPy could not load (cupy.cuda.nccl.available is False)")
        chosen = NCCLBackend(mpi, comm, seconds, nccl, local_rank)
    else:
        chosen = MPIBackend(mpi, comm, seconds)
    _group = ProcessGroup(chosen, local_rank)


def is_initialized():
    return _group is not None


def default_group(function):
    """The default group; RuntimeError naming `function` before init_process_group."""
    if _group is None:
        raise RuntimeError(f"{function}: the default process group is not initialized; call "
                           f"mc.distributed.init_process_group() first (in processes started "
                           f"by mpiexec)")
    return _group


def get_rank():
    return default_group("get_rank").rank


def get_world_size():
    return default_group("get_world_size").size


def get_node_local_rank():
    """This process's rank among the processes of its machine (which GPU it takes)."""
    return default_group("get_node_local_rank").local_rank


def get_backend():
    return default_group("get_backend").backend.name


def destroy_process_group():
    """Leave the default group (MPI itself finalizes when the process exits)."""
    global _group
    group = default_group("destroy_process_group")
    _group = None
    if group.broken is None:
        group.backend.close()
