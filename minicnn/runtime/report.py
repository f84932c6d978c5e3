"""`info()`: what minicnn runs on in this process, for bug reports and benchmark headers.

Like torch.utils.collect_env: versions, threads, the Numba threading layer in use, the
kernel form NumPy arrays get, the BLAS libraries loaded, which process-wide tunings took
effect, and whether CUDA tensors can run. NumPy and Numba are imported when info() is
called, not with this module: minicnn imports it before apply_tuning, which must run before
NumPy loads its BLAS.
"""
import importlib.util
import os
import platform
import sys
from importlib import metadata

from threadpoolctl import threadpool_info

from ..kernels import active_form
from ..threads import get_num_threads
from ..version import __version__
from .cuda_probe import cuda_state
from .tuning import OPT_OUT_VARIABLE, tuning_state

# Environment variables that change what the tunings, Numba, BLAS or CUDA do.
SETTINGS = (OPT_OUT_VARIABLE, "OPENBLAS_THREAD_TIMEOUT", "NUMBA_THREADING_LAYER",
            "NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
            "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
            "GLIBC_TUNABLES", "CUDA_VISIBLE_DEVICES")
BLAS_FIELDS = ("internal_api", "version", "num_threads", "threading_layer", "architecture",
               "filepath")


class Info(dict):
    """info()'s dict, which prints as one readable line per fact."""

    def __str__(self):
        return info_text(self)


def info():
    """Everything above as an Info dict: versions, platform, threads,
    numba_threading_layer, kernels, blas, tuning, environment, cuda."""
    import numba
    import numpy

    available, reason = cuda_state()                 # imports CuPy where it is installed
    threads = get_num_threads()
    numba.get_num_threads()                          # starts Numba's threads, and so its layer
    return Info(
        versions={"minicnn": __version__, "python": platform.python_version(),
                  "numpy": numpy.__version__, "numba": numba.__version__,
                  "torch": _version("torch"), "cupy": _version("cupy")},
        platform=platform.platform(),
        threads=threads,
        numba_threading_layer=_numba_layer(numba),
        kernels=active_form(numpy.empty(0)),
        blas=[{k: pool.get(k) for k in BLAS_FIELDS if k in pool}
              for pool in threadpool_info() if pool["user_api"] == "blas"],
        tuning=tuning_state(),
        environment={name: os.environ[name] for name in SETTINGS if name in os.environ},
        cuda={"available": available, "reason": reason})


def _version(module):
    """The version of an optional module, without importing it: the loaded module's, else
    its distribution's; None where it is not installed."""
    loaded = sys.modules.get(module)
    if loaded is not None:
        return getattr(loaded, "__version__", "unknown")
    if importlib.util.find_spec(module) is None:
        return None
    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return "unknown"


def _numba_layer(numba):
    try:
        return numba.threading_layer()
    except ValueError:                               # its threads have not started
        return f"not started ({numba.config.THREADING_LAYER} asked)"


def info_text(report):
    """The report as aligned `name: value` lines."""
    v, tuning, cuda = report["versions"], report["tuning"], report["cuda"]
    optional = ", ".join(f"{name} {v[name] or 'not installed'}" for name in ("torch", "cupy"))
    lines = [("minicnn", v["minicnn"]),
             ("python", f"{v['python']} on {report['platform']}"),
             ("libraries", f"numpy {v['numpy']}, numba {v['numba']}, {optional}"),
             ("threads", report["threads"]),
             ("numba threading layer", report["numba_threading_layer"]),
             ("kernels (NumPy arrays)", report["kernels"])]
    lines += [("blas", f"{pool['internal_api']} {pool['version']}, {pool['num_threads']} "
                       f"threads, {pool['filepath']}") for pool in report["blas"]]
    lines += [("tuning", _tuning_summary(tuning)),
              ("  allocator keeps freed memory", _yes(tuning["allocator_kept"])),
              ("  blas idle timeout set", _yes(tuning["blas_timeout_set"])),
              ("  openblas timeout re-read", _yes(tuning["openblas_timeout_reread"])),
              ("  numba layer set", _yes(tuning["numba_layer_set"])),
              ("  tbb loaded", _yes(tuning["tbb_loaded"]))]
    lines.append(("environment", " ".join(f"{name}={value}" for name, value in
                                          report["environment"].items()) or "nothing set"))
    lines.append(("cuda", "available" if cuda["available"] else
                  f"not available: {cuda['reason']}"))
    width = max(len(name) for name, _ in lines)
    return "\n".join(f"{name + ':':<{width + 1}} {value}" for name, value in lines)


def _tuning_summary(tuning):
    if tuning["opted_out"]:
        return f"off ({OPT_OUT_VARIABLE} is set)"
    return "applied" if tuning["applied"] else "not applied"


def _yes(flag):
    return "yes" if flag else "no"
