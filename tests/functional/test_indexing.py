"""Indexing: repeated indices, drawn basic indices against NumPy (negative steps too), and
bad indices; the gradcheck and PyTorch parity of x[index] with ints, slices, None, Ellipsis,
integer arrays, Tensors and bool masks, and of index_select: op_table.py."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minicnn as mc
from conftest import check_gradients, random_array

SHAPE = (4, 5, 3)


def test_repeated_indices_add_up_in_the_gradient():
    x = mc.tensor(np.arange(4.0), requires_grad=True)
    (x[[0, 0, 3, 0, 1]] * mc.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 5.0, 0.0, 3.0])


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
