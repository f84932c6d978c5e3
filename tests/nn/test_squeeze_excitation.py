"""mc.nn.SqueezeExcitation: torchvision.ops.SqueezeExcitation's keys and shapes, the formula,
custom activations, argument errors, and the same outputs and gradients as the same block
written in PyTorch (float64)."""
import numpy as np
import pytest
from conftest import random_array

import minicnn as mc
from minicnn import nn


def test_keys_shapes_and_parameter_count():
    se = nn.SqueezeExcitation(32, 8)
    shapes = {k: tuple(v.shape) for k, v in se.state_dict().items()}
    assert shapes == {"fc1.weight": (8, 32, 1, 1), "fc1.bias": (8,),
                      "fc2.weight": (32, 8, 1, 1), "fc2.bias": (32,)}
    assert sum(p.numel() for p in se.parameters()) == 2 * 32 * 8 + 8 + 32
    assert isinstance(se.activation, nn.ReLU) and isinstance(se.scale_activation, nn.Sigmoid)
    assert isinstance(nn.SqueezeExcitation, type) and "SqueezeExcitation" in nn.__all__


def test_formula_and_shape():
    mc.manual_seed(0)
    se = nn.SqueezeExcitation(6, 3).double()
    x = random_array((2, 6, 5, 7))
    w1, b1 = se.fc1.weight.detach().numpy()[:, :, 0, 0], se.fc1.bias.detach().numpy()
    w2, b2 = se.fc2.weight.detach().numpy()[:, :, 0, 0], se.fc2.bias.detach().numpy()
    pooled = x.mean(axis=(2, 3))                                   # (N, C)
    scale = 1 / (1 + np.exp(-(np.maximum(pooled @ w1.T + b1, 0) @ w2.T + b2)))
    out = se(mc.tensor(x)).detach().numpy()
    assert out.shape == x.shape
    np.testing.assert_allclose(out, x * scale[:, :, None, None], rtol=1e-12)


def test_custom_activations_are_used():
    mc.manual_seed(0)
    se = nn.SqueezeExcitation(4, 2, activation=nn.Tanh, scale_activation=nn.Identity).double()
    x = random_array((1, 4, 3, 3))
    scale = se.fc2(se.activation(se.fc1(mc.tensor(x.mean(axis=(2, 3), keepdims=True)))))
    np.testing.assert_allclose(se(mc.tensor(x)).detach().numpy(),
                               x * scale.detach().numpy(), rtol=1e-12)
    assert isinstance(se.activation, nn.Tanh)


@pytest.mark.parametrize("args, pattern", [((0, 4), "input_channels.*0"),
                                           ((8, -1), "squeeze_channels.*-1"),
                                           ((8.0, 2), "input_channels.*8.0")])
def test_bad_channels_are_named(args, pattern):
    with pytest.raises(ValueError, match=f"SqueezeExcitation: {pattern}"):
        nn.SqueezeExcitation(*args)


@pytest.mark.parametrize("channels, squeeze, shape", [(8, 2, (2, 8, 5, 4)), (3, 5, (1, 3, 1, 1))])
def test_outputs_and_gradients_equal_pytorch(channels, squeeze, shape):
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    class TorchSE(tnn.Module):                  # torchvision.ops.SqueezeExcitation, by hand
        def __init__(self):
            super().__init__()
            self.avgpool = tnn.AdaptiveAvgPool2d(1)
            self.fc1 = tnn.Conv2d(channels, squeeze, 1)
            self.fc2 = tnn.Conv2d(squeeze, channels, 1)
            self.activation = tnn.ReLU()
            self.scale_activation = tnn.Sigmoid()

        def forward(self, x):
            scale = self.fc2(self.activation(self.fc1(self.avgpool(x))))
            return self.scale_activation(scale) * x

    mc.manual_seed(1)
    ours = nn.SqueezeExcitation(channels, squeeze).double()
    theirs = TorchSE().double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = random_array(shape, seed=2)
    grad_out = random_array(shape, seed=3)
    xm = mc.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out_m, out_t = ours(xm), theirs(xt)
    np.testing.assert_allclose(out_m.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    (out_m * mc.tensor(grad_out)).sum().backward()
    (out_t * torch.tensor(grad_out)).sum().backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs.get_parameter(name).grad.numpy(),
                                   rtol=1e-10, atol=1e-14, err_msg=name)


def test_gradcheck():
    mc.manual_seed(0)
    se = nn.SqueezeExcitation(4, 2).double()
    x = mc.tensor(random_array((2, 4, 3, 3)), requires_grad=True)
    assert mc.utils.gradcheck(lambda t: se(t), [x])
