"""The emulated `cupyx`: scatter_add (deprecated in CuPy for cupy.add.at, and warned about
here too) and the special functions minicnn's readable kernels use on CUDA arrays."""
import math
import types
import warnings

import numpy as np

from .array import apply


def scatter_add(a, slices, value):
    warnings.warn("cupyx.scatter_add is deprecated. Please use cupy.add.at instead.",
                  DeprecationWarning, stacklevel=2)
    apply(np.add.at, (a, slices, value), {})


def _special(function):
    vectorised = np.vectorize(function, otypes=[np.float64])

    def elementwise(x):
        return apply(lambda a: vectorised(a).astype(a.dtype), (x,), {})

    elementwise.__name__ = function.__name__
    return elementwise


scipy = types.ModuleType("cupyx.scipy")
scipy.special = types.ModuleType("cupyx.scipy.special")
scipy.special.erf = _special(math.erf)
scipy.special.erfc = _special(math.erfc)
