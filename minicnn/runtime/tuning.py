"""`apply_tuning`: every process-wide setting minicnn makes, in one call, with an opt-out.

Importing minicnn calls it once. It makes idle BLAS threads sleep instead of spinning
(blas_threads), puts Numba on a thread- and fork-safe threading layer, TBB where the tbb
package is installed (numba_threads), and keeps the memory NumPy frees for its next arrays
(allocator). Each of these leaves alone whatever the environment already chose, and with
MINICNN_NO_TUNING=1 none of them happens: importing minicnn then sets no environment
variable, calls no mallopt, loads no library with global symbols and asks OpenBLAS to
re-read nothing.
"""
import os

from .allocator import keep_freed_memory
from .blas_threads import reread_openblas_timeout, set_blas_thread_timeout
from .numba_threads import ask_forksafe_layer, load_tbb

OPT_OUT_VARIABLE = "MINICNN_NO_TUNING"

_state = {"applied": False, "opted_out": False, "blas_timeout_set": False,
          "openblas_timeout_reread": False, "numba_layer_set": False, "tbb_loaded": False,
          "allocator_kept": False}


def apply_tuning():
    """Apply the tunings above once per process, unless MINICNN_NO_TUNING is set to
    anything but "" or "0"; returns tuning_state().

    Run before NumPy loads its BLAS where it can: OpenBLAS then reads the short idle
    timeout as it loads, instead of being asked to re-read it and restart its threads."""
    if _state["applied"]:
        return tuning_state()
    _state["opted_out"] = opted_out()
    if _state["opted_out"]:
        return tuning_state()
    _state["blas_timeout_set"] = set_blas_thread_timeout()
    _state["openblas_timeout_reread"] = reread_openblas_timeout()
    _state["numba_layer_set"] = ask_forksafe_layer()
    _state["tbb_loaded"] = load_tbb()
    _state["allocator_kept"] = keep_freed_memory()
    _state["applied"] = True
    return tuning_state()


def opted_out():
    """Whether the environment asks minicnn to change no process-wide setting."""
    return os.environ.get(OPT_OUT_VARIABLE, "") not in ("", "0")


def tuning_state():
    """What apply_tuning did: `applied` (it ran its tunings), `opted_out`
    (MINICNN_NO_TUNING was set when it was called), and one flag per tuning that took
    effect: `blas_timeout_set`, `openblas_timeout_reread` (an OpenBLAS loaded before took
    the timeout and restarted its threads), `numba_layer_set`, `tbb_loaded`,
    `allocator_kept`."""
    return dict(_state)
