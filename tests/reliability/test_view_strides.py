"""Tensor.view never copies: on any layout (transposes, permutations, strided slices) it
returns a view sharing memory and version counter exactly where PyTorch's view does, and
raises PyTorch's error, pointing to reshape, exactly where PyTorch's raises."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minicnn as mc

torch = pytest.importorskip("torch")

INCOMPATIBLE = "view size is not compatible with input tensor's size and stride"


@st.composite
def laid_out(draw):
    """(array, numpy index that makes the layout, permutation): a base of 1-4 dims, sliced
    with steps and offsets, then permuted."""
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    index = tuple(slice(draw(st.integers(0, 1)), None, draw(st.integers(1, 2))) for _ in shape)
    perm = draw(st.permutations(range(len(shape))))
    base = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    return base, index, tuple(perm)


@st.composite
def regrouped(draw, sizes):
    """A shape with the same number of elements: the sizes' prime factors dealt into 1-4
    dims, with some 1s and perhaps a -1."""
    n = int(np.prod(sizes))
    if n == 0:
        return tuple(draw(st.permutations(list(sizes))))
    factors, k, p = [], n, 2
    while k > 1:
        while k % p == 0:
            factors.append(p)
            k //= p
        p += 1
    dims = draw(st.integers(1, 4))
    shape = [1] * dims
    for f in factors:
        shape[draw(st.integers(0, dims - 1))] *= f
    if draw(st.booleans()):
        shape.insert(draw(st.integers(0, dims)), 1)
    if draw(st.booleans()):
        shape[draw(st.integers(0, len(shape) - 1))] = -1
    return tuple(shape)


@given(st.data())
def test_view_matches_torch_on_every_layout(data):
    base, index, perm = data.draw(laid_out())
    t = torch.from_numpy(base.copy())[index].permute(perm)
    x = mc.tensor(base.copy())[index].permute(perm)
    shape = data.draw(regrouped(tuple(t.shape)))
    try:
        want = t.view(shape)
    except RuntimeError as e:
        assert INCOMPATIBLE in str(e)
        with pytest.raises(RuntimeError, match=INCOMPATIBLE) as info:
            x.view(shape)
        assert "Use .reshape(...) instead." in str(info.value)
        assert x.reshape(shape).shape == tuple(t.reshape(shape).shape)
        return
    got = x.view(shape)
    assert got.shape == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    if got.numel():
        assert np.shares_memory(got._data, x._data)
        x.add_(1.0)
        assert got._version == 1
        np.testing.assert_array_equal(got.numpy(), want.numpy() + 1)


def test_view_of_a_transpose_raises_and_names_the_op_and_shapes():
    x = mc.randn(4, 3).t()
    with pytest.raises(RuntimeError) as info:
        x.view(12)
    message = str(info.value)
    assert message.startswith("view: shape (12,) for a tensor of shape (3, 4) and strides (1, 3)")
    assert INCOMPATIBLE in message and "Use .reshape(...) instead." in message


def test_view_of_a_non_contiguous_tensor_aliases_where_torch_allows():
    x = mc.randn(4, 6)[:, :3]                    # rows apart, each row contiguous
    v = x.view(2, 2, 3)
    assert np.shares_memory(v._data, x._data)
    v[0, 0, 0] = 100.0
    assert x[0, 0].item() == 100.0 and x._version == v._version == 1
    assert tuple(s // 4 for s in v._data.strides) == torch.randn(4, 6)[:, :3].view(2, 2, 3).stride()


def test_view_keeps_the_gradient():
    a = mc.randn(3, 4, requires_grad=True)
    y = a.permute(1, 0).contiguous().view(2, 6)
    (y * mc.arange(12.0).view(2, 6)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.arange(12.0).reshape(4, 3).T)


def test_view_as_follows_view():
    x = mc.randn(4, 3).t()
    with pytest.raises(RuntimeError, match=INCOMPATIBLE):
        x.view_as(mc.zeros(12))
    assert x.reshape_as(mc.zeros(12)).shape == (12,)
