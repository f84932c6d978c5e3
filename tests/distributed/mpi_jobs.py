"""Running a script as a real multi-process MPI job (`mpiexec -n N python script ...`), and
the reason to skip when this Python has no mpi4py or no mpiexec (the mpi extra)."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import minicnn.distributed as dist

HERE = Path(__file__).resolve().parent


def missing():
    """Why multi-process tests cannot run here, or None when they can."""
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed (pip install '.[mpi]')"
    if dist.find_mpiexec() is None:
        return "mpiexec is not installed (pip install '.[mpi]' brings the mpich wheel's)"
    return None


needs_mpi = pytest.mark.skipif(missing() is not None, reason=str(missing()))


def run(n, script, *args, timeout=240):
    """Run tests/distributed/SCRIPT in `n` processes; fail with its output unless all exit 0."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    env.pop("PMI_SIZE", None)
    proc = subprocess.run([dist.find_mpiexec(), "-n", str(n), sys.executable,
                           str(HERE / script), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"{script} in {n} processes failed:\n{proc.stdout[-4000:]}" \
                                 f"\n{proc.stderr[-4000:]}"
    return proc
