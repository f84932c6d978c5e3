"""minicnn.runtime: importing minicnn applies every process-wide tuning through one call,
each one giving way to the environment's own choice, none at all with MINICNN_NO_TUNING=1,
and info() reports what took effect.

The tunings act on the whole process, so each case runs in a fresh interpreter. glibc has
no getter for its malloc thresholds; a 1 MiB block shows them instead: under glibc's
defaults it gets its own mapping (IS_MMAPPED, bit 0x2 of the chunk's size field, just
before the block), under minicnn's it comes from the heap. The probe runs once, after the
import: freeing a mapped block raises glibc's threshold to its size.
"""
import ctypes
import json
import os
import subprocess
import sys
from importlib import metadata

import pytest
from threadpoolctl import ThreadpoolController

import minicnn as mc
from minicnn.runtime import allocator, cuda_probe

TUNING_VARIABLES = ("MINICNN_NO_TUNING", "OPENBLAS_THREAD_TIMEOUT", "NUMBA_THREADING_LAYER",
                    "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                    "GLIBC_TUNABLES")
PROBES = '''
import ctypes, json, os, sys
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)


def mib_block_is_mapped():
    block = libc.malloc(1 << 20)
    size_field = ctypes.c_size_t.from_address(block - ctypes.sizeof(ctypes.c_size_t)).value
    libc.free(block)
    return bool(size_field & 0x2)


def tbb_mapped():
    with open("/proc/self/maps") as maps:
        return "libtbb" in maps.read()


def snapshot():
    return {"environ": dict(os.environ), "tbb": tbb_mapped()}
'''
# The process before and after `import minicnn`, and what minicnn says it did.
IMPORT = PROBES + '''
before = snapshot()
import minicnn
after = snapshot()
mapped = mib_block_is_mapped()
report = minicnn.runtime.info()
print(json.dumps({"before": before, "after": after, "mapped": mapped,
                  "state": minicnn.runtime.tuning_state(), "info": report}))
'''
# NumPy first: OpenBLAS has read its environment (no timeout set) before minicnn is imported.
NUMPY_FIRST = '''
import ctypes, json, os, numpy as np
from threadpoolctl import ThreadpoolController
libs = ThreadpoolController().select(internal_api="openblas").lib_controllers
timeout = lambda: ctypes.CDLL(libs[0].filepath).openblas_thread_timeout()
before = timeout()
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
import minicnn; minicnn.set_num_threads(2)
a = np.arange(256 * 256, dtype=np.float32).reshape(256, 256) / 65536
same = bool(np.allclose(a @ a, a.astype(np.float64) @ a, rtol=1e-4))
print(json.dumps([before, timeout(), same, minicnn.runtime.tuning_state()]))
'''
NUMPY_AFTER = '''
import ctypes, json, minicnn, numpy as np
from threadpoolctl import ThreadpoolController
lib = ThreadpoolController().select(internal_api="openblas").lib_controllers[0]
print(json.dumps([ctypes.CDLL(lib.filepath).openblas_thread_timeout(),
                  minicnn.runtime.tuning_state()]))
'''
# A parallel kernel in the parent, then one in a forked child: Numba's OpenMP layer on GNU
# libgomp terminates the child there.
FORKED = '''
import os, minicnn; x = minicnn.randn(2, 3, 8, 8)
minicnn.nn.functional.max_pool2d(x, 2)
pid = os.fork()
if pid == 0:
    minicnn.nn.functional.max_pool2d(x, 2); os._exit(7)
print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
'''
# Minor page faults while a 16 MiB array is allocated and written a second time, counted in
# 4 KiB pages: transparent huge pages are off for the process (prctl PR_SET_THP_DISABLE),
# since NumPy asks for them on large arrays and a mapping's 2 MiB alignment, which varies
# with what was mapped before, would decide whether it faults 8 times or 520.
FAULTS = '''
import ctypes, resource
ctypes.CDLL(None).prctl(41, 1, 0, 0, 0)
import numpy as np, minicnn
def fill():
    a = np.empty(16 << 20, np.uint8); a[:] = 1
fill()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
fill()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
'''
PAGES = (16 << 20) // 4096


def _run(code, **env):
    """`code`'s last line of output, parsed as JSON, run with only `env` of the variables
    the tunings read."""
    clean = {k: v for k, v in os.environ.items() if k not in TUNING_VARIABLES}
    proc = subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _glibc_linux():
    try:
        return sys.platform.startswith("linux") and bool(ctypes.CDLL(None).gnu_get_libc_version)
    except (OSError, AttributeError):
        return False


def _tbb_installed():
    try:
        metadata.version("tbb")
        return True
    except metadata.PackageNotFoundError:
        return False


def _openblas_entry_points():
    libs = ThreadpoolController().select(internal_api="openblas").lib_controllers
    if not libs:
        return False
    lib = ctypes.CDLL(libs[0].filepath)
    return all(hasattr(lib, name) for name in ("openblas_read_env", "openblas_thread_timeout",
                                               "blas_thread_shutdown_"))


glibc_linux = pytest.mark.skipif(not _glibc_linux(), reason="glibc's malloc and /proc only")
openblas = pytest.mark.skipif(not _openblas_entry_points(),
                              reason="NumPy's BLAS is not an OpenBLAS with these entry points")


@glibc_linux
def test_opting_out_changes_no_process_wide_state():
    run = _run(IMPORT, MINICNN_NO_TUNING="1")
    assert run["after"] == run["before"]       # the environment, and no TBB loaded
    assert run["mapped"]                       # glibc's malloc thresholds
    assert run["state"] == {"applied": False, "opted_out": True, "blas_timeout_set": False,
                            "openblas_timeout_reread": False, "numba_layer_set": False,
                            "tbb_loaded": False, "allocator_kept": False}
    assert run["info"]["tuning"] == run["state"]


@openblas
def test_opting_out_leaves_a_loaded_openblas_alone():
    """The timeout set in the environment after NumPy loaded OpenBLAS is not re-read."""
    before, after, same, state = _run(NUMPY_FIRST, MINICNN_NO_TUNING="1")
    assert (before, after, same) == (0, 0, True)
    assert not state["openblas_timeout_reread"]


@glibc_linux
@pytest.mark.parametrize("setting", [{}, {"MINICNN_NO_TUNING": "0"}])
def test_importing_minicnn_applies_every_tuning_and_reports_it(setting):
    run = _run(IMPORT, **setting)
    before, after, report = run["before"], run["after"], run["info"]
    added = {k: v for k, v in after["environ"].items() if before["environ"].get(k) != v}
    assert added == {"OPENBLAS_THREAD_TIMEOUT": "4", "NUMBA_THREADING_LAYER": "forksafe"}
    assert not run["mapped"]
    assert after["tbb"] == _tbb_installed() and not before["tbb"]
    assert run["state"] == {"applied": True, "opted_out": False, "blas_timeout_set": True,
                            "openblas_timeout_reread": False, "numba_layer_set": True,
                            "tbb_loaded": _tbb_installed(), "allocator_kept": True}
    assert report["tuning"] == run["state"]
    assert report["numba_threading_layer"] == ("tbb" if _tbb_installed() else "workqueue")
    assert {k: report["environment"][k] for k in added} == added


def test_the_environment_wins_over_each_tuning():
    state = _run(IMPORT.replace("import minicnn\n", "import minicnn, numba\n"),
                 OPENBLAS_THREAD_TIMEOUT="20", NUMBA_THREADING_LAYER="workqueue",
                 MALLOC_MMAP_THRESHOLD_="131072")
    assert state["after"]["environ"] == state["before"]["environ"]
    assert state["mapped"] and not state["after"]["tbb"]
    assert state["state"] == {"applied": True, "opted_out": False, "blas_timeout_set": False,
                              "openblas_timeout_reread": False, "numba_layer_set": False,
                              "tbb_loaded": False, "allocator_kept": False}
    assert state["info"]["numba_threading_layer"] == "workqueue"


@glibc_linux
@pytest.mark.parametrize("name", allocator.USER_SETTINGS)
def test_a_malloc_setting_in_the_environment_keeps_glibcs_behaviour(monkeypatch, name):
    monkeypatch.setenv(name, "131072")
    assert allocator.keep_freed_memory() is False


@glibc_linux
def test_a_freed_array_is_reused_without_page_faults():
    assert _run(FAULTS) < PAGES // 64
    # glibc's own behaviour: the mapping of a freed 16 MiB array is given back
    assert _run(FAULTS, MALLOC_MMAP_THRESHOLD_="131072") > PAGES // 64


@openblas
def test_openblas_loaded_after_minicnn_reads_the_short_timeout_as_it_loads():
    timeout, state = _run(NUMPY_AFTER)
    assert timeout == 4 and not state["openblas_timeout_reread"]


@openblas
def test_openblas_loaded_before_minicnn_takes_the_timeout_too():
    """It re-reads its environment; its threads restart and still multiply correctly."""
    before, after, same, state = _run(NUMPY_FIRST)
    assert (before, after, same) == (0, 4, True)
    assert state["openblas_timeout_reread"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_runs_parallel_kernels():
    assert _run(FORKED) == 7


def test_apply_tuning_runs_once():
    environ = dict(os.environ)
    assert mc.runtime.apply_tuning() == mc.runtime.tuning_state()
    assert dict(os.environ) == environ


def test_cuda_state_agrees_with_mc_cuda():
    available, reason = mc.runtime.cuda_state()
    assert available == mc.cuda.is_available()
    assert (reason is None) == available
    if not cuda_probe.importlib.util.find_spec("cupy"):
        assert reason == cuda_probe.NOT_INSTALLED and "cupy" not in sys.modules


def test_info_reports_the_process():
    report = mc.runtime.info()
    assert set(report) == {"versions", "platform", "threads", "numba_threading_layer",
                           "kernels", "blas", "tuning", "environment", "cuda"}
    versions = report["versions"]
    assert versions["minicnn"] == mc.__version__
    assert all(versions[k] for k in ("python", "numpy", "numba"))
    assert report["threads"] == mc.get_num_threads()
    assert report["kernels"] == "cpu"
    with mc.set_kernels("reference"):
        assert mc.runtime.info()["kernels"] == "reference"
    assert report["blas"] and all(
        {"internal_api", "version", "num_threads", "filepath"} <= set(pool)
        for pool in report["blas"])
    assert report["cuda"]["available"] == mc.cuda.is_available()
    json.dumps(report)


def test_info_prints_one_line_per_fact():
    text = str(mc.runtime.info())
    names = [line.split(":")[0] for line in text.splitlines()]
    for name in ("minicnn", "python", "libraries", "threads", "numba threading layer",
                 "kernels (NumPy arrays)", "blas", "tuning", "  allocator keeps freed memory",
                 "  tbb loaded", "environment", "cuda"):
        assert name in names, text
