"""minicnn's hot loops as pure array functions (arrays in, arrays out; no autograd).

Each kernel exists in three forms with one signature:

- ``reference``: plain NumPy, written to be read (kernels/reference/);
- ``cpu``: Numba ``@njit(parallel=True, cache=True)`` (kernels/cpu/); the im2col,
  Winograd and attention-softmax kernels are serial ``@njit(nogil=True, cache=True)``
  loops instead, which the convolutions and attention run on batch chunks across threads
  (minicnn.threads.parallel_for), and ReLU is a serial loop too (bound by memory bandwidth,
  which a second thread did not raise);
- ``cuda``: CUDA C in kernels/cuda/*.cu, compiled once per process through CuPy.

``get(name, array)`` is the one dispatch point: CuPy arrays get the cuda form,
NumPy arrays the cpu form, unless ``set_kernels("reference")`` forces the
readable form everywhere. Installed, this folder is the ``minicnn.kernels`` package.
"""
from .dispatch import active_form, get, set_kernels

__all__ = ["active_form", "get", "set_kernels"]
