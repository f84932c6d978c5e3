"""Tensor's PyTorch API beyond the ops: `.data` as a Tensor sharing memory, `Size`,
`type()`, `all`/`any`, `normal_`/`uniform_`, and `item()` of one-element tensors."""
import pickle

import numpy as np
import pytest

import minicnn as mc

torch = pytest.importorskip("torch")


def test_data_is_a_detached_tensor_that_shares_memory():
    w = mc.randn(2, 3, requires_grad=True)
    d = w.data
    assert isinstance(d, mc.Tensor) and not d.requires_grad and d.is_leaf
    d[0, 0] = 7.0                                   # writes through to w
    assert w[0, 0].item() == 7.0
    d.mul_(2)
    np.testing.assert_array_equal(w.detach().numpy(), d.numpy())


def test_writes_through_data_are_not_seen_by_autograd():
    """PyTorch's point of `.data`: the version counter is not shared, so a graph that
    saved the tensor still backpropagates (with the new values)."""
    w = mc.ones(3, requires_grad=True)
    y = (w * w).sum()
    w.data.mul_(2)
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 4.0, np.float32))


def test_assigning_data_replaces_the_memory():
    p = mc.nn.Parameter(mc.zeros(2, 2))
    p.data = mc.ones(3)
    assert p.shape == (3,) and p.requires_grad and isinstance(p, mc.nn.Parameter)
    np.testing.assert_array_equal(p.detach().numpy(), np.ones(3, np.float32))
    with pytest.raises(TypeError, match="data: the new data must be a Tensor"):
        p.data = np.ones(3)


def test_data_matches_pytorch_in_an_sgd_step():
    """The classic hand-written update `p.data -= lr * p.grad.data`."""
    values = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    results = []
    for lib in (mc, torch):
        p = lib.tensor(values.copy(), requires_grad=True)
        (p * p).sum().backward()
        p.data -= 0.1 * p.grad.data
        p.data.add_(p.grad.data, alpha=-0.1)
        results.append(p.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_size_is_a_tuple_with_numel():
    x = mc.zeros(2, 3, 4)
    for size in (x.shape, x.size()):
        assert isinstance(size, mc.Size) and isinstance(size, tuple)
        assert size == (2, 3, 4) and size.numel() == 24
    assert isinstance(x.shape[1:], mc.Size) and x.shape[1:] == (3, 4)
    assert isinstance(x.shape + (5,), mc.Size) and x.size(1) == 3 and x.shape[-1] == 4
    assert repr(x.shape) == "minicnn.Size([2, 3, 4])"
    assert mc.Size([]).numel() == 1 and mc.zeros(0, 3).shape.numel() == 0
    assert pickle.loads(pickle.dumps(x.shape)) == x.shape
    assert mc.zeros(x.shape).shape == x.shape


def test_type_names_and_casts_as_pytorch():
    values = np.array([1.5, -2.0])
    for dtype in (np.float32, np.float64, np.float16, np.int64, np.int32, np.uint8, np.bool_):
        ours, theirs = mc.tensor(values.astype(dtype)), torch.tensor(values.astype(dtype))
        assert ours.type() == theirs.type()
        for target in ("torch.DoubleTensor", "torch.LongTensor", mc.float32):
            cast = ours.type(target)
            expected = theirs.type(target if isinstance(target, str) else torch.float32)
            np.testing.assert_array_equal(cast.numpy(), expected.numpy())
    with pytest.raises(ValueError, match="type: invalid type 'torch.Nonsense'"):
        mc.zeros(2).type("torch.Nonsense")


def test_type_cast_is_differentiable():
    x = mc.ones(3, requires_grad=True)
    x.type(mc.float64).sum().backward()
    assert x.grad.dtype == mc.float32


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), ((0, 2), False),
                                          (-1, True)])
def test_all_and_any_match_pytorch(name, dim, keepdim):
    values = np.array([[[1, 0], [2, 3], [0, 0]], [[1, 1], [4, 5], [6, 0]]], dtype=np.float32)
    ours, theirs = mc.tensor(values), torch.tensor(values)
    if dim is None:
        expected = getattr(theirs, name)()
        got = [getattr(ours, name)(), getattr(mc, name)(ours)]
    else:
        expected = getattr(theirs, name)(dim=dim, keepdim=keepdim)
        got = [getattr(ours, name)(dim, keepdim=keepdim),
               getattr(mc, name)(ours, dim=dim, keepdim=keepdim)]
    for result in got:
        assert result.dtype == mc.bool_ and result.shape == tuple(expected.shape)
        np.testing.assert_array_equal(result.numpy(), expected.numpy())


def test_all_and_any_of_empty_and_0d_tensors():
    assert mc.zeros(0).all().item() is True and mc.zeros(0).any().item() is False
    assert mc.tensor(2.0).all().item() is True and mc.tensor(0).any().item() is False


def test_item_of_one_element_tensors():
    assert mc.tensor([[3.5]]).item() == 3.5 and mc.tensor([7]).item() == 7
    with pytest.raises(ValueError, match="only one-element tensors"):
        mc.zeros(2).item()


def test_normal_and_uniform_fill_in_place_with_the_right_statistics():
    mc.manual_seed(0)
    w = mc.empty(200, 300)
    assert w.normal_(1.0, 0.5) is w
    assert abs(w.mean().item() - 1.0) < 0.01 and abs(w.std().item() - 0.5) < 0.01
    w.uniform_(-2, 3)
    values = w.numpy()
    assert values.min() >= -2 and values.max() < 3 and abs(values.mean() - 0.5) < 0.02
    g = mc.Generator().manual_seed(5)
    a = mc.empty(4).normal_(generator=g)
    b = mc.empty(4).normal_(generator=mc.Generator().manual_seed(5))
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_in_place_fills_refuse_leaves_that_require_grad():
    w = mc.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="normal_: a leaf Variable that requires grad"):
        w.normal_()
    with mc.no_grad():
        w.uniform_()
    w.data.normal_(0, 0.02)                         # the DCGAN initialisation idiom


def test_device_flags():
    x = mc.zeros(2)
    assert x.is_cpu and not x.is_cuda and not x.is_xpu and not x.is_mps
    assert x.device == mc.device("cpu") and x.device.type == "cpu"
