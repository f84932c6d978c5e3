"""float16 CUDA arrays run through the float32 kernels: every wrapper computes in float32
and returns float16 (indices stay int64), and the wrappers that write into an array write
into the float16 one they were given."""
import numpy as np
import pytest
from cuda_wrapper_cases import CASES, assert_outputs_equal, outputs
from kernel_cases import cupy_or_skip

from minicnn.kernels import reference

HALF = dict(rtol=2e-3, atol=2e-3)


def _halved(a):
    return a.astype(np.float16) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a


def _widened(a):
    return a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float16 else a


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(CASES))
def test_float16_is_computed_in_float32_and_returned_as_float16(name):
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    args = [_halved(a) for a in CASES[name](np.float32)]
    expected = [_halved(e) for e in outputs(getattr(reference, name)(*map(_widened, args)))]
    got = getattr(cuda, name)(*[cupy.asarray(a) if isinstance(a, np.ndarray) else a
                                for a in args])
    assert_outputs_equal(tuple(outputs(got)), tuple(expected), **HALF)


@pytest.mark.gpu
def test_a_float16_array_written_in_place_is_the_one_returned():
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    x = np.linspace(-3, 3, 35, dtype=np.float16).reshape(5, 7)
    scores = cupy.asarray(x)
    assert cuda.masked_softmax_rows(scores) is scores
    assert_outputs_equal(scores, reference.softmax_rows(x.astype(np.float32))
                         .astype(np.float16), **HALF)
    a = cupy.asarray(x)
    assert cuda.relu(a, out=a) is a
    assert_outputs_equal(a, np.maximum(x, 0), rtol=0, atol=0)
