"""What the MPI launcher tells a process before MPI starts: whether `mpiexec` (or `mpirun`,
`srun` with PMI) started it, and where its mpiexec lives.

Reading environment variables only, so the command can decide to start a process group
without importing mpi4py (whose import starts MPI).
"""
import os
import shutil
import sys

# rank and size variables of the launchers: MPICH's Hydra (PMI), Open MPI, MVAPICH, PMIx
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMIX_SIZE")


def launched_world_size():
    """The number of processes the launcher started with this one, or None outside one."""
    for name in _SIZE_VARIABLES:
        value = os.environ.get(name)
        if value and value.isdigit():
            return int(value)
    return None


def find_mpiexec():
    """The mpiexec beside this Python (the mpich wheel's, in a virtual environment), else the
    one on PATH, else None."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    return shutil.which("mpiexec")
