"""LazyLinear and LazyConv2d: the first input gives the input size, the module becomes its
eager twin, an optimizer built before that updates the weights, and a state_dict (ours or
PyTorch's) loads into a module that has not seen an input."""
import numpy as np
import pytest

import minicnn as mc

torch = pytest.importorskip("torch")


def _net(lib):
    nn = lib.nn
    return nn.Sequential(nn.LazyConv2d(4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.LazyLinear(5))


def test_first_input_gives_shapes_and_the_eager_class():
    net = _net(mc)
    assert isinstance(net[0].weight, mc.nn.UninitializedParameter)
    assert repr(net[0].weight) == "<UninitializedParameter>"
    out = net(mc.randn(2, 3, 6, 6))
    reference = _net(torch)
    reference(torch.randn(2, 3, 6, 6))
    assert out.shape == (2, 5)
    assert type(net[0]) is mc.nn.Conv2d and type(net[3]) is mc.nn.Linear
    assert (net[0].in_channels, net[3].in_features) == (reference[0].in_channels,
                                                        reference[3].in_features) == (3, 144)
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in reference.state_dict().items()}
    assert repr(net) == repr(reference)


def test_weights_are_initialised_like_the_eager_module():
    mc.manual_seed(0)
    lazy = mc.nn.LazyLinear(300)
    lazy(mc.zeros(2, 400))
    bound = 1 / np.sqrt(400)
    weight = lazy.weight.detach().numpy()
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.95 * bound


def test_an_optimizer_built_before_the_first_input_updates_the_weights():
    net = _net(mc)
    opt = mc.optim.SGD(net.parameters(), lr=0.1)
    x = mc.randn(2, 3, 6, 6)
    net(x).sum().backward()
    before = [p.detach().numpy().copy() for p in net.parameters()]
    opt.step()
    assert all(np.any(p.detach().numpy() != b) for p, b in zip(net.parameters(), before))


def test_pytorch_state_dict_loads_into_a_lazy_module_and_gives_its_outputs():
    reference = _net(torch)
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    expected = reference(torch.tensor(x)).detach().numpy()
    net = _net(mc)
    net.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    assert type(net[3]) is mc.nn.Linear and net[3].in_features == 144
    assert net[0].in_channels == 3
    np.testing.assert_allclose(net(mc.tensor(x)).detach().numpy(), expected, rtol=1e-5,
                               atol=1e-6)


def test_unbatched_grouped_and_biasless_convolution():
    conv = mc.nn.LazyConv2d(6, 3, groups=2, bias=False)
    assert conv(mc.randn(4, 5, 5)).shape == (6, 3, 3)
    assert conv.weight.shape == (6, 2, 3, 3) and conv.bias is None
    with pytest.raises(ValueError, match="LazyConv2d: the input has 3 channels, which "
                                         "groups=2 does not divide"):
        mc.nn.LazyConv2d(4, 3, groups=2)(mc.randn(1, 3, 5, 5))


def test_lazy_modules_follow_to_before_the_first_input():
    lazy = mc.nn.LazyLinear(3).double()
    assert lazy(mc.zeros(2, 4, dtype=mc.float64)).dtype == mc.float64
    assert lazy.weight.dtype == mc.float64


@pytest.mark.gpu
def test_a_lazy_module_moved_to_cuda_materializes_there():
    lazy = mc.nn.LazyConv2d(4, 3).to("cuda")
    x = mc.randn(2, 3, 6, 6)
    out = lazy(x.to("cuda"))
    assert out.is_cuda and lazy.weight.is_cuda and lazy.weight.shape == (4, 3, 3, 3)
    expected = mc.nn.functional.conv2d(x, lazy.weight.detach().cpu(), lazy.bias.detach().cpu())
    np.testing.assert_allclose(out.detach().cpu().numpy(), expected.numpy(), rtol=1e-5,
                               atol=1e-6)
