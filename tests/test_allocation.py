"""check_fits: an array beyond memory and swap is refused before it is made, naming the op,
the shape and the bytes; anything smaller, and sizes the op itself rejects, pass through.
(tests/reliability/test_guards.py runs the absurd sizes of every op that checks.)"""
import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import allocation, nn

LIMIT = 2 ** 20                                   # a machine of 1 MiB, memory and swap


@pytest.fixture
def small_machine(monkeypatch):
    monkeypatch.setattr(allocation, "memory_and_swap_bytes", lambda: LIMIT)


def test_the_limit_is_this_machines_memory_and_swap():
    assert allocation.memory_and_swap_bytes() > 2 ** 26


def test_an_array_beyond_the_limit_is_refused_naming_op_shape_and_bytes(small_machine):
    with pytest.raises(MemoryError, match=r"^zeros: a tensor of shape \(512, 513\) and dtype "
                                          r"float32 needs 1,050,624 bytes"):
        mc.zeros(512, 513)
    assert mc.zeros(512, 512).shape == (512, 512)            # exactly the limit fits
    with pytest.raises(MemoryError, match="^Linear: weight of shape"):
        nn.Linear(1024, 257)
    with pytest.raises(MemoryError, match="^interpolate: the output of shape"):
        F.interpolate(mc.zeros(1, 1, 2, 2), size=(512, 513))


def test_the_dtype_sets_the_bytes(small_machine):
    assert mc.zeros(2 ** 17, dtype=mc.float64).shape == (2 ** 17,)
    with pytest.raises(MemoryError, match="float64 needs 1,048,584 bytes"):
        mc.zeros(2 ** 17 + 1, dtype=mc.float64)


def test_sizes_the_op_rejects_itself_pass_to_its_own_check(small_machine):
    with pytest.raises(ValueError, match="non-negative"):
        mc.zeros(-1, 10 ** 9)
    allocation.check_fits("op", "a tensor", (2.5, 10 ** 9), np.float32)
    allocation.check_fits("op", "a tensor", (-1, 10 ** 9), np.float32)


def test_cuda_arrays_are_left_to_cupy(small_machine):
    allocation.check_fits("zeros", "a tensor", (10 ** 9,), np.float32, "cuda")
    with pytest.raises(MemoryError):
        allocation.check_fits("zeros", "a tensor", (10 ** 9,), np.float32, "cpu")
