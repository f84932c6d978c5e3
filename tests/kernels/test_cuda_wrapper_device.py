"""Every CUDA wrapper runs on the device its input lives on, whichever device is current:
its kernels launch there and its results are allocated there."""
import numpy as np
import pytest
from cuda_wrapper_cases import CASES, assert_outputs_equal, outputs
from kernel_cases import cupy_or_skip, tolerance

from minicnn.kernels import reference


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(CASES))
def test_an_input_on_the_second_device_is_computed_there(name):
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    if cupy.cuda.runtime.getDeviceCount() < 2:
        pytest.skip("needs two GPUs")
    args = CASES[name](np.float32)
    expected = getattr(reference, name)(*[a.copy() if isinstance(a, np.ndarray) else a
                                          for a in args])
    with cupy.cuda.Device(1):
        device_args = [cupy.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    with cupy.cuda.Device(0):
        got = getattr(cuda, name)(*device_args)
    assert [out.device.id for out in outputs(got)] == [1] * len(outputs(got))
    assert_outputs_equal(got, expected, **tolerance(np.float32))
