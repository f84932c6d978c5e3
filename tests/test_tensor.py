"""Tensor attributes, conversions, printing and in-place updates of the data."""
import numpy as np
import pytest

import minicnn as mc


def test_attributes():
    x = mc.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) == x.size() and x.size(1) == 3 and x.size(-1) == 4
    assert x.ndim == 3 == x.dim() and x.numel() == 24 and len(x) == 2
    assert x.dtype == mc.float32 and x.is_leaf and not x.requires_grad
    assert x.T.shape == (4, 3, 2) and mc.zeros(2, 3).T.shape == (3, 2)


def test_conversions():
    x = mc.tensor([[1.5, 2.0]])
    assert x.numpy().dtype == np.float32 and x.tolist() == [[1.5, 2.0]]
    assert mc.tensor([3.0]).item() == 3.0 and float(mc.tensor(2.5)) == 2.5
    assert x.double().dtype == np.float64 and x.long().dtype == np.int64
    assert x.to(mc.float64).dtype == np.float64 and x.float() is x
    assert np.asarray(x).shape == (1, 2)
    with pytest.raises(ValueError, match=r"only one-element tensors .* shape \(1, 2\)"):
        x.item()
    with pytest.raises(RuntimeError, match="requires grad; use tensor.detach"):
        mc.zeros(2, requires_grad=True).numpy()


def test_cast_is_differentiable_back_to_the_input_dtype():
    x = mc.ones(3, requires_grad=True)
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 2.0, 2.0]


def test_repr_like_pytorch():
    assert repr(mc.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(mc.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(mc.tensor([1.0], requires_grad=True)) == "tensor([1.0000], requires_grad=True)"
    assert repr(mc.tensor([1.0], dtype=mc.float64)) == "tensor([1.0000], dtype=float64)"
    y = mc.tensor([1.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2.0000], grad_fn=<MulBackward>)"


def test_zero_fill_copy_under_no_grad():
    w = mc.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="zero_: a leaf Variable that requires grad"):
        w.zero_()
    with mc.no_grad():
        w.fill_(2.0)
        assert w.tolist() == [2.0, 2.0, 2.0]
        w.zero_()
        assert w.tolist() == [0.0, 0.0, 0.0]
        w.copy_(mc.tensor([1.0, 2.0, 3.0]))
        w.add_(mc.ones(3), alpha=2).mul_(2)
        assert w.tolist() == [6.0, 8.0, 10.0]
        w -= 1
        assert w.tolist() == [5.0, 7.0, 9.0] and w.is_leaf and w.requires_grad


def test_grad_can_be_zeroed_in_place():
    w = mc.ones(2, requires_grad=True)
    (w * 3).sum().backward()
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0]


def test_setitem_on_plain_tensors_and_refusal_in_graph():
    x = mc.zeros(2, 3)
    x[0, 1:] = 5.0
    x[mc.tensor([1])] = mc.ones(3)
    assert x.tolist() == [[0, 5, 5], [1, 1, 1]]
    w = mc.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="__setitem__: a leaf Variable that requires grad"):
        w[0] = 1.0


def test_augmented_assignment_in_graph_is_out_of_place():
    w = mc.ones(2, requires_grad=True)
    y = w * 2
    z = y
    y += 1
    assert z.tolist() == [2.0, 2.0] and y.tolist() == [3.0, 3.0]
    y.sum().backward()
    assert w.grad.tolist() == [2.0, 2.0]


def test_bool_of_multi_element_tensor_is_ambiguous():
    assert bool(mc.tensor([1.0])) and not bool(mc.tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(mc.ones(2))


def test_tensor_is_hashable_by_identity():
    a, b = mc.zeros(1), mc.zeros(1)
    assert len({a, b}) == 2
