"""Every CUDA wrapper hands its kernel each array contiguous and in the launch dtype (the
first array's): the other arrays may come in the other float dtype, integer indices as
int32, and strided; the result equals the reference's on the same values."""
import numpy as np
import pytest
from cuda_wrapper_cases import CASES, assert_outputs_equal
from kernel_cases import cupy_or_skip, tolerance

from minicnn import kernels
from minicnn.kernels import reference

OTHER_FLOAT = {np.float32: np.float64, np.float64: np.float32}


def test_the_cases_cover_every_kernel_with_a_cuda_form():
    assert set(CASES) == {name for name in kernels.names() if "cuda" in kernels.forms(name).forms}


def _strided(cupy, a):
    """`a` on the device as a strided view: every other element of a wider array."""
    wide = cupy.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
    wide[..., ::2] = cupy.asarray(a)
    return wide[..., ::2]


def _other(a, dtype):
    """An array argument after the first as the test passes it: floats in the other float
    dtype, integers as int32."""
    return a.astype(OTHER_FLOAT[dtype] if a.dtype.kind == "f" else np.int32)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_array_reaches_the_kernel_in_the_launch_dtype(name, dtype):
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    args = CASES[name](dtype)
    first = next(i for i, a in enumerate(args) if isinstance(a, np.ndarray))
    passed = [_other(a, dtype) if isinstance(a, np.ndarray) and i != first else a
              for i, a in enumerate(args)]
    # the reference on the values passed, each array in the dtype its kernel reads
    expected = getattr(reference, name)(*[a.astype(args[i].dtype) if isinstance(a, np.ndarray)
                                          else a for i, a in enumerate(passed)])
    device_args = [cupy.asarray(a) if i == first
                   else _strided(cupy, a) if isinstance(a, np.ndarray) else a
                   for i, a in enumerate(passed)]
    assert_outputs_equal(getattr(cuda, name)(*device_args), expected, **tolerance(dtype))
