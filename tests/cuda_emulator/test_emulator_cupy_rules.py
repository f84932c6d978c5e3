"""The emulated cupy keeps CuPy's rules where breaking them would go unnoticed on the CPU
and fail (or give wrong numbers) on a GPU: no implicit conversion to or mixing with NumPy
arrays, copies (never aliases) across the host/device boundary, ufuncs with `out=` and
`.at`, reductions that return 0-d arrays, and arrays that belong to a device."""
import numpy as np
import pytest
from emulated_cupy import cupy  # noqa: F401 (fixtures)


def test_np_asarray_of_a_cupy_array_raises(cupy):
    a = cupy.arange(3, dtype=np.float32)
    for convert in (np.asarray, np.array, np.ascontiguousarray):
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
            convert(a)


def test_a_cupy_operation_with_a_numpy_array_raises(cupy):
    a, host = cupy.ones(3), np.ones(3)
    for mixed in (lambda: a + host, lambda: host * a, lambda: cupy.add(a, host),
                  lambda: cupy.concatenate([a, host]), lambda: cupy.maximum(host, a)):
        with pytest.raises(TypeError):
            mixed()


def test_numpy_scalars_mix_with_cupy_arrays(cupy):
    assert (cupy.ones(2) * np.float32(2)).get().tolist() == [2, 2]


def test_transfers_copy(cupy):
    host = np.arange(4.0)
    device = cupy.asarray(host)
    host[0] = 100
    assert device.get()[0] == 0
    back = device.get()
    back[1] = 100
    assert device.get()[1] == 1


def test_ufunc_out_writes_into_the_given_array(cupy):
    a = cupy.arange(4, dtype=np.float32)
    out = cupy.zeros(4, dtype=np.float32)
    assert cupy.multiply(a, 2, out=out) is out
    assert np.add(a, 1, out=out) is out
    np.testing.assert_array_equal(out.get(), np.arange(4) + 1)


def test_add_at_adds_repeated_indices(cupy):
    target = cupy.zeros(4)
    cupy.add.at(target, cupy.asarray([0, 0, 3]), cupy.asarray([1.0, 2.0, 5.0]))
    np.testing.assert_array_equal(target.get(), [3, 0, 0, 5])


def test_reductions_return_0d_arrays(cupy):
    a = cupy.arange(6, dtype=np.float32).reshape(2, 3)
    for reduced in (a.sum(), cupy.sum(a), a.max(), cupy.mean(a), a.argmax(), cupy.linalg.norm(a)):
        assert isinstance(reduced, cupy.ndarray)
        assert reduced.shape == ()


def test_an_array_belongs_to_the_device_it_was_made_on(cupy):
    with cupy.cuda.Device(1):
        a = cupy.zeros(3)
        assert a.device.id == 1
        assert (a + 1).device.id == 1
    assert a.device.id == 1
    with pytest.raises(ValueError, match="array device = 1 while current = 0"):
        a + 1
    with pytest.raises(ValueError, match="array device = 1 while current = 0"):
        a.sum()
    assert a[1:].device.id == 1             # a view computes nothing
    moved = cupy.asarray(a)                 # a copy onto the current device
    assert moved.device.id == 0


def test_the_rng_draws_on_the_current_device(cupy):
    rng = cupy.random.default_rng(0)
    assert rng.standard_normal(3).device.id == 0
    with cupy.cuda.Device(1):
        assert rng.standard_normal(3).device.id == 1
        assert cupy.random.rand(2).device.id == 1
