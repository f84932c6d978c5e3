"""Indexing: x[index] with ints, slices, None, Ellipsis, integer arrays, Tensors, bool masks;
index_select."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minicnn as mc
from conftest import assert_torch_parity, check_gradients, random_array

torch = pytest.importorskip("torch")

SHAPE = (4, 5, 3)

# name -> index(lib): built per library, so Tensor indices are minicnn or torch tensors
INDICES = {
    "int": lambda lib: 1,
    "negative int": lambda lib: -1,
    "two ints": lambda lib: (2, -3),
    "three ints (0-d result)": lambda lib: (3, 4, 0),
    "slice": lambda lib: slice(1, 3),
    "slice with step": lambda lib: slice(None, None, 2),
    "slices with steps": lambda lib: (slice(1, None, 2), slice(0, 5, 3)),
    "slice past the end": lambda lib: (slice(2, 10), slice(-2, None)),
    "None": lambda lib: None,
    "None between": lambda lib: (1, None, slice(None), None),
    "Ellipsis": lambda lib: (Ellipsis, 1),
    "Ellipsis middle": lambda lib: (0, ..., slice(1, 3)),
    "Ellipsis and None": lambda lib: (None, ..., None),
    "int array repeated": lambda lib: [0, 2, 2, 0, 2],
    "int array negative": lambda lib: [-1, 0, -4],
    "int array 2-d": lambda lib: lib.tensor(np.array([[0, 1], [1, 3]])),
    "array and slice": lambda lib: ([0, 2], slice(1, 3)),
    "slice and array": lambda lib: (slice(None), [4, 0, 4]),
    "two arrays": lambda lib: ([0, 1, 1], [2, 2, 2]),
    "arrays broadcast": lambda lib: ([[0], [3]], slice(None), [0, 2, 0]),
    "array and int": lambda lib: (1, [3, 3]),
    "array and None": lambda lib: (None, [1, 1]),
    "Tensor int64": lambda lib: lib.tensor(np.array([3, 1, 3])),
    "Tensor 0-d": lambda lib: lib.tensor(np.array(2)),
    "Tensor pair": lambda lib: (lib.tensor(np.array([0, 3])), slice(None), lib.tensor(
        np.array([1, 1]))),
    "bool mask 1-d": lambda lib: lib.tensor(np.array([True, False, True, True])),
    "bool mask 2-d": lambda lib: lib.tensor(np.arange(20).reshape(4, 5) % 3 == 0),
    "bool mask and slice": lambda lib: (slice(None), lib.tensor(np.array([1, 0, 0, 1, 1], bool))),
    "numpy bool mask": lambda lib: np.array([False, True, False, True]),
}


def _torchify(index):
    """Plain Python indices stay; numpy arrays become torch tensors (torch needs them so)."""
    if isinstance(index, tuple):
        return tuple(_torchify(i) for i in index)
    return torch.tensor(index) if isinstance(index, np.ndarray) else index


@pytest.mark.parametrize("index", INDICES.values(), ids=INDICES.keys())
def test_getitem(index):
    x = random_array(SHAPE)
    check_gradients(lambda t: t[index(mc)], x)
    assert_torch_parity(lambda t: t[index(mc)], lambda t: t[_torchify(index(torch))],
                        x.astype(np.float32))


def test_repeated_indices_add_up_in_the_gradient():
    x = mc.tensor(np.arange(4.0), requires_grad=True)
    (x[[0, 0, 3, 0, 1]] * mc.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 5.0, 0.0, 3.0])


def test_bool_mask_on_a_size_1_dimension():
    x = random_array((1, 3, 2), dtype=np.float32)
    for mask in ([True], [False]):
        assert_torch_parity(lambda t: t[mc.tensor(np.array(mask))],
                            lambda t: t[torch.tensor(mask)], x)


def test_mask_computed_from_the_tensor():
    fn = lambda t: t[t > 0.5] * 2  # noqa: E731
    check_gradients(fn, random_array((3, 4), seed=1))
    assert_torch_parity(fn, fn, random_array((3, 4), seed=1, dtype=np.float32))


@given(data=st.data(), shape=st.lists(st.integers(1, 5), min_size=1, max_size=3))
def test_random_basic_index_against_numpy(data, shape):
    # slices with any step (negative too, which torch lacks), ints and None, checked against numpy
    items = []
    for size in shape[:data.draw(st.integers(1, len(shape)))]:
        items.append(data.draw(st.one_of(st.slices(size), st.integers(-size, size - 1))))
        if data.draw(st.booleans()):
            items.append(None)
    index = tuple(items)
    a = random_array(tuple(shape), seed=2)
    check_gradients(lambda t: t[index], a)
    x = mc.tensor(a, requires_grad=True)
    out = x[index]
    np.testing.assert_array_equal(out.detach().numpy(), a[index])
    w = random_array(out.shape, seed=3)
    (out * mc.tensor(w)).sum().backward()
    expected = np.zeros_like(a)
    expected[index] = w
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@given(size=st.integers(1, 5), data=st.data())
def test_random_integer_array_index(size, data):
    index = data.draw(st.lists(st.integers(-size, size - 1), min_size=0, max_size=8))
    a = random_array((size, 2), seed=4, dtype=np.float32)
    assert_torch_parity(lambda t: t[index], lambda t: t[torch.tensor(index, dtype=torch.int64)], a)


@pytest.mark.parametrize("dim, index", [(0, [3, 0, 3]), (1, [4]), (-1, [2, 0, 1, 1]), (1, []),
                                        (0, 2)])
def test_index_select(dim, index):
    def fn(lib, t):
        select = mc.functional.index_select if lib is mc else torch.index_select
        return select(t, dim, lib.tensor(np.array(index, dtype=np.int64)))

    check_gradients(lambda t: fn(mc, t), random_array(SHAPE))
    assert_torch_parity(lambda t: fn(mc, t), lambda t: fn(torch, t),
                        random_array(SHAPE, dtype=np.float32))
    x = mc.tensor(random_array(SHAPE, dtype=np.float32))
    np.testing.assert_array_equal(x.index_select(dim, mc.tensor(np.array(index, np.int64))).numpy(),
                                  fn(mc, x).numpy())


@pytest.mark.parametrize("index, message", [
    (4, r"getitem: index 4 is out of bounds for dimension 0 with size 4 \(shape \(4, 5, 3\)\)"),
    (-5, r"getitem: index -5 is out of bounds for dimension 0 with size 4"),
    ((0, 0, 3), r"getitem: index 3 is out of bounds for dimension 2 with size 3"),
    ((..., -4), r"getitem: index -4 is out of bounds for dimension 2 with size 3"),
    ((None, 0, 5), r"getitem: index 5 is out of bounds for dimension 1 with size 5"),
    ([0, 4], r"getitem: index 4 is out of bounds for dimension 0 with size 4"),
    ((slice(None), [1, -6]), r"getitem: index -6 is out of bounds for dimension 1 with size 5"),
    (mc.tensor(np.array([1, 9])), r"getitem: index 9 is out of bounds for dimension 0"),
    ((0, 0, 0, 0), r"getitem: too many indices for a tensor of shape \(4, 5, 3\)"),
    (np.array([True, False]), r"getitem: mask of shape \(2,\) does not match dimensions 0..0 "
                              r"of a tensor of shape \(4, 5, 3\)"),
])
def test_index_out_of_bounds(index, message):
    with pytest.raises(IndexError, match=message):
        mc.zeros(*SHAPE)[index]


@pytest.mark.parametrize("call, message", [
    (lambda x: x[np.array([0.0, 1.0])], r"getitem: index arrays must be integer or bool, got "
                                        r"dtype float64"),
    (lambda x: x[1.5], r"getitem: unsupported index of type float"),
    (lambda x: x["a"], r"getitem: unsupported index of type str"),
    (lambda x: x.index_select(0, [0, 1]), r"index_select: index must be a 0-d or 1-d integer "
                                          r"Tensor, got list"),
    (lambda x: x.index_select(0, mc.tensor(np.zeros((2, 2), np.int64))),
     r"index_select: index must be .* got dtype int64 and shape \(2, 2\)"),
])
def test_bad_index_type(call, message):
    with pytest.raises(TypeError, match=message):
        call(mc.zeros(*SHAPE))


def test_index_select_errors():
    x = mc.zeros(*SHAPE)
    with pytest.raises(ValueError, match=r"index_select: dim=3 is out of range"):
        x.index_select(3, mc.tensor(np.array([0])))
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for dimension 1 with size 5"):
        x.index_select(1, mc.tensor(np.array([0, 5])))
