"""minicnn.runtime: every process-wide setting minicnn makes, and a report of the process.

`apply_tuning()` makes idle BLAS threads sleep instead of spinning, puts Numba on TBB where
the tbb package is installed, and keeps the memory NumPy frees for its next arrays; each
leaves alone whatever the environment already chose. Importing minicnn calls it once;
MINICNN_NO_TUNING=1 turns all of it off. `tuning_state()` says what took effect, and
`info()` (also `python -m minicnn info`) reports it together with versions, threads, the
BLAS libraries loaded and whether CUDA tensors can run.
"""
from .cuda_probe import cuda_state
from .report import Info, info
from .tuning import OPT_OUT_VARIABLE, apply_tuning, opted_out, tuning_state

__all__ = ["Info", "OPT_OUT_VARIABLE", "apply_tuning", "cuda_state", "info", "opted_out",
           "tuning_state"]
