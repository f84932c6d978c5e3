"""minicnn's hot loops as pure array functions (arrays in, arrays out; no autograd).

Each kernel exists in three forms with one signature:

- ``reference``: plain NumPy, written to be read (kernels/reference/); it runs on CuPy
  arrays too;
- ``cpu``: Numba ``@njit(parallel=True, cache=True)`` (kernels/cpu/); the im2col,
  Winograd and attention-softmax kernels are serial ``@njit(nogil=True, cache=True)``
  loops instead, which the convolutions and attention run on batch chunks across threads
  (minicnn.threads.parallel_for); ReLU, max_abs, the sum, difference and product of
  two arrays and the SGD update split long arrays into runs over the threads and take
  short ones on the calling thread;
- ``cuda``: CUDA C in kernels/cuda/*.cu, compiled once per process through CuPy.

One table, kernels/registry.py, names every kernel and says where each of its forms lives
(module and function); a form a kernel lacks has a declared fallback with its reason: the
reference form, or none where the callers never ask for it (the Winograd transforms on
CuPy arrays). ``names()`` lists the kernels, ``forms(name)`` gives a kernel's entry.
Reading the table imports no form: a form's module is imported when it is first used.

``get(name, array)`` is the one dispatch point: CuPy arrays get the cuda form, NumPy
arrays the cpu form, unless ``set_kernels("reference")`` forces the readable form
everywhere (``get_kernels()`` says which choice is in force); ``active_form(array)`` says
which form an array gets. Installed, this folder is the
``minicnn.kernels`` package.
"""
from .dispatch import active_form, get, get_kernels, set_kernels
from .registry import forms, names

__all__ = ["active_form", "forms", "get", "get_kernels", "names", "set_kernels"]
