"""loader.function: each kernel looked up once, not on every launch; a dtype no kernel is
typed for fails with a TypeError that names the kernel, the dtype and the ones there are."""
import collections

import numpy as np
import pytest
from kernel_cases import cupy_or_skip

from minicnn.kernels.cuda import loader


@pytest.mark.parametrize("dtype", [np.float16, np.int32, np.int64, np.complex64])
def test_a_dtype_without_a_kernel_is_a_type_error_naming_the_choices(dtype):
    name = np.dtype(dtype).name
    with pytest.raises(TypeError, match=rf"'max_forward'.*{name}.*float32 and float64"):
        loader.function("pooling", "max_forward", dtype)


@pytest.mark.gpu
def test_each_kernel_is_looked_up_once_not_per_launch(monkeypatch):
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    looked_up = collections.Counter()
    module = loader.module

    class Counting:
        def __init__(self, name):
            self.module = module(name)

        def get_function(self, name):
            looked_up[name] += 1
            return self.module.get_function(name)

    monkeypatch.setattr(loader, "module", Counting)
    loader.function.cache_clear()
    x = cupy.asarray(np.linspace(-2, 2, 24, dtype=np.float32).reshape(4, 6))
    for _ in range(3):
        cuda.softmax_rows(x)
        cuda.relu(x)
        cuda.gelu(cuda.erf(x))
    loader.function.cache_clear()
    assert looked_up and max(looked_up.values()) == 1, looked_up


@pytest.mark.gpu
def test_a_wrapper_given_an_integer_array_raises_the_type_error():
    cupy = cupy_or_skip()
    from minicnn.kernels import cuda

    x = cupy.asarray(np.arange(2 * 3 * 4 * 4, dtype=np.int32).reshape(2, 3, 4, 4))
    with pytest.raises(TypeError, match="'max_forward'.*int32"):
        cuda.max_pool2d(x, 2, 2, 0, 1, False)
