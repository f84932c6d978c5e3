"""Dtype facts shared by the kernel forms."""
import numpy as np


def lowest(dtype):
    """The value below or equal to every value of `dtype`: −inf for floating dtypes, the
    smallest integer for integer ones (max pooling pads with it)."""
    dtype = np.dtype(dtype)
    return dtype.type(-np.inf) if dtype.kind == "f" else dtype.type(np.iinfo(dtype).min)
