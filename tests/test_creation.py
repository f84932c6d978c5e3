"""Tensor creation: dtypes inferred like PyTorch, shapes, ranges, seeded randomness."""
import numpy as np
import pytest

import minicnn as mc


@pytest.mark.parametrize("data, dtype", [
    ([1.0, 2.0], np.float32), ([1, 2], np.int64), ([True, False], np.bool_),
    (np.zeros(3, np.float64), np.float64), (3.5, np.float32), (7, np.int64),
])
def test_tensor_infers_dtype_like_pytorch(data, dtype):
    assert mc.tensor(data).dtype == dtype


def test_tensor_copies_but_from_numpy_shares():
    a = np.arange(3.0)
    t, s = mc.tensor(a), mc.from_numpy(a)
    a[0] = 10
    assert t.tolist() == [0.0, 1.0, 2.0]
    assert s.tolist() == [10.0, 1.0, 2.0]


def test_from_numpy_rejects_lists():
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray"):
        mc.from_numpy([1, 2])


@pytest.mark.parametrize("make", [mc.zeros, mc.ones, mc.empty, mc.rand, mc.randn])
def test_filled_and_random_shapes_accept_packed_or_spread_sizes(make):
    assert make(2, 3).shape == (2, 3) == make((2, 3)).shape
    assert make(2, 3).dtype == np.float32
    assert make(2, dtype=mc.float64).dtype == np.float64


def test_values_of_fills_and_ranges():
    assert mc.zeros(2).tolist() == [0, 0] and mc.ones(2).tolist() == [1, 1]
    assert mc.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert mc.arange(5).tolist() == [0, 1, 2, 3, 4] and mc.arange(5).dtype == np.int64
    assert mc.arange(1.0, 2.0, 0.5).dtype == np.float32
    np.testing.assert_allclose(mc.linspace(0, 1, 5).numpy(), [0, .25, .5, .75, 1])
    np.testing.assert_array_equal(mc.eye(3).numpy(), np.eye(3))


def test_like_functions_follow_the_input():
    x = mc.randn(2, 3, dtype=mc.float64)
    for like in (mc.zeros_like(x), mc.ones_like(x), mc.empty_like(x), mc.rand_like(x),
                 mc.randn_like(x), mc.full_like(x, 2.0)):
        assert like.shape == (2, 3) and like.dtype == np.float64
    assert mc.randint_like(mc.zeros(4, dtype=mc.int64), 0, 3).dtype == np.int64


def test_manual_seed_makes_random_ops_reproducible():
    def draw():
        return (mc.rand(3).tolist(), mc.randn(3).tolist(), mc.randint(0, 10, (3,)).tolist(),
                mc.functional.dropout(mc.ones(8)).tolist())

    mc.manual_seed(123)
    first = draw()
    mc.manual_seed(123)
    assert draw() == first
    mc.manual_seed(124)
    assert draw() != first


def test_rand_ranges():
    mc.manual_seed(0)
    r = mc.rand(10000).numpy()
    assert r.min() >= 0 and r.max() < 1 and abs(r.mean() - 0.5) < 0.02
    n = mc.randn(10000).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    i = mc.randint(3, 7, (1000,)).numpy()
    assert set(np.unique(i)) == {3, 4, 5, 6}


def test_bad_sizes_and_dtypes_are_refused():
    with pytest.raises(ValueError, match="non-negative integers"):
        mc.zeros(2, -1)
    with pytest.raises(TypeError, match="randint: missing the `size` argument"):
        mc.randint(0, 3)
    with pytest.raises(TypeError, match="only floating tensors can require gradients"):
        mc.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="cannot make a tensor"):
        mc.tensor("abc")
    with pytest.raises(TypeError, match="only floating dtypes"):
        mc.set_default_dtype(mc.int64)


def test_default_dtype_can_be_changed():
    mc.set_default_dtype(mc.float64)
    try:
        assert mc.zeros(2).dtype == np.float64 and mc.tensor([1.5]).dtype == np.float64
    finally:
        mc.set_default_dtype(mc.float32)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_factories_take_size_as_a_keyword_as_pytorch(name):
    assert getattr(mc, name)(size=(2, 3)).shape == (2, 3)
    assert getattr(mc, name)(size=[4]).shape == (4,)
    with pytest.raises(TypeError, match=f"{name}: give the size either as arguments or as "
                                        f"size=, not both"):
        getattr(mc, name)(2, size=(2,))
