"""mc.nn.utils.fuse_conv_bn_eval / fuse_conv_bn_weights / fuse_conv_bn: a fused conv equals
conv then eval-mode BatchNorm; on the zoo's BatchNorm networks the fused copy gives the same
logits (float64 to 1e-10, float32 to 1e-5 relative) with one conv and no BatchNorm per pair,
the original untouched; PyTorch's fuse_conv_bn_eval gives the same weights; errors name the
op, the argument and the value."""
import numpy as np
import pytest

import minicnn as mc
from minicnn import models, nn
from minicnn.nn.utils import fuse_conv_bn, fuse_conv_bn_eval, fuse_conv_bn_weights


def _randomise_batchnorms(model, seed=0):
    """Running statistics, weights and biases away from their initial 0, 1, 1, 0, so that a
    fold that forgets one of them shows."""
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(mc.tensor(rng.normal(0, 0.5, c)))
            m.running_var.copy_(mc.tensor(rng.uniform(0.5, 2.0, c)))
            with mc.no_grad():
                m.weight.copy_(mc.tensor(rng.uniform(0.5, 1.5, c)))
                m.bias.copy_(mc.tensor(rng.normal(0, 0.5, c)))
    return model


def _state(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def _count(model, kind):
    return sum(type(m) is kind for m in model.modules())


def _channel_sum(model, kind, attribute, biased=False):
    """Σ attribute over the modules of exactly `kind` (with `biased`, those with a bias)."""
    return sum(getattr(m, attribute) for m in model.modules()
               if type(m) is kind and (not biased or m.bias is not None))


def _params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("groups, dilation, stride", [(1, 1, 1), (2, 2, 2), (6, 1, 1)])
def test_fused_conv_equals_conv_then_batchnorm(bias, groups, dilation, stride):
    conv = nn.Conv2d(6, 12, 3, stride=stride, padding=1, dilation=dilation, groups=groups,
                     bias=bias).double()
    bn = _randomise_batchnorms(nn.BatchNorm2d(12).double()).eval()
    conv.eval()
    x = mc.randn(2, 6, 9, 8, dtype=mc.float64)
    fused = fuse_conv_bn_eval(conv, bn)
    assert type(fused) is nn.Conv2d and fused.bias is not None and fused is not conv
    assert (fused.groups, fused.dilation, fused.stride) == (conv.groups, conv.dilation,
                                                            conv.stride)
    with mc.no_grad():
        np.testing.assert_allclose(fused(x).numpy(), bn(conv(x)).numpy(), rtol=1e-10,
                                   atol=1e-12)


def test_fused_weights_equal_pytorch():
    torch = pytest.importorskip("torch")
    from torch.nn.utils.fusion import fuse_conv_bn_eval as torch_fuse

    conv = nn.Conv2d(3, 5, 3, bias=True).double().eval()
    bn = _randomise_batchnorms(nn.BatchNorm2d(5, eps=1e-3).double()).eval()
    tconv = torch.nn.Conv2d(3, 5, 3).double().eval()
    tbn = torch.nn.BatchNorm2d(5, eps=1e-3).double().eval()
    tconv.load_state_dict({k: torch.tensor(v) for k, v in _state(conv).items()})
    tbn.load_state_dict({k: torch.tensor(v) for k, v in _state(bn).items()})
    ours, theirs = fuse_conv_bn_eval(conv, bn), torch_fuse(tconv, tbn)
    for name in ("weight", "bias"):
        np.testing.assert_allclose(getattr(ours, name).detach().numpy(),
                                   getattr(theirs, name).detach().numpy(), rtol=1e-12)


def test_fuse_conv_bn_weights_keeps_dtype_and_requires_grad():
    conv = nn.Conv2d(2, 4, 1, bias=False)
    bn = _randomise_batchnorms(nn.BatchNorm2d(4))
    w, b = fuse_conv_bn_weights(conv.weight, None, bn.running_mean, bn.running_var, bn.eps,
                                bn.weight, bn.bias)
    assert isinstance(w, nn.Parameter) and isinstance(b, nn.Parameter)
    assert w.dtype == b.dtype == mc.float32 and w.requires_grad and b.requires_grad
    assert w.shape == conv.weight.shape and b.shape == (4,)


def _resnet18():
    return models.resnet18(num_classes=10)


def _resnet_cifar():
    return models.resnet_cifar(20)


def _densenet():
    return models.DenseNet(growth_rate=4, block_config=(2, 3), num_init_features=8, bn_size=2,
                           num_classes=5)


# name -> (constructor, whether every BatchNorm follows a conv: DenseNet's norm1 reads a
# concatenation)
ZOO = {"resnet18": (_resnet18, True), "resnet_cifar20": (_resnet_cifar, True),
       "vgg11_bn": (lambda: models.vgg11_bn(num_classes=10), True),
       "mobilenet_v2": (lambda: models.mobilenet_v2(num_classes=10), True),
       "densenet": (_densenet, False)}


@pytest.mark.parametrize("dtype, rtol", [(mc.float64, 1e-10), (mc.float32, 1e-5)])
@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_fused_logits_equal_and_original_untouched(name, dtype, rtol):
    build, all_folded = ZOO[name]
    model = _randomise_batchnorms(build()).to(dtype).eval()
    x = mc.randn(1, 3, 32, 32, dtype=dtype)
    before = _state(model)
    with mc.no_grad():
        expected = model(x).numpy()
    fused = fuse_conv_bn(model, x)
    with mc.no_grad():
        got = fused(x).numpy()
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * np.abs(expected).max())
    after = _state(model)
    assert before.keys() == after.keys()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    bns = _count(model, nn.BatchNorm2d) - _count(fused, nn.BatchNorm2d)
    assert bns > 0 and _count(fused, nn.Identity) - _count(model, nn.Identity) == bns
    assert (_count(fused, nn.BatchNorm2d) == 0) == all_folded
    # each fold drops the BatchNorm's weight and bias and gives a bias-less conv a bias
    assert _params(model) - _params(fused) == \
        _channel_sum(model, nn.BatchNorm2d, "num_features") * 2 - \
        _channel_sum(fused, nn.BatchNorm2d, "num_features") * 2 - \
        (_channel_sum(fused, nn.Conv2d, "out_channels", biased=True) -
         _channel_sum(model, nn.Conv2d, "out_channels", biased=True))


def test_densenet_keeps_the_batchnorms_after_concatenations():
    """norm1 reads the concatenation, norm2 reads conv1 alone: only norm2 folds."""
    model = _randomise_batchnorms(_densenet()).eval()
    fused = fuse_conv_bn(model, mc.randn(1, 3, 32, 32))
    layer = fused.features.denseblock1.denselayer1
    assert type(layer.norm1) is nn.BatchNorm2d and type(layer.norm2) is nn.Identity


def test_a_conv_output_read_twice_is_not_folded():
    class Both(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 3, 3, padding=1)
            self.bn = nn.BatchNorm2d(3)

        def forward(self, x):
            y = self.conv(x)
            return self.bn(y) + y

    model = _randomise_batchnorms(Both()).eval()
    fused = fuse_conv_bn(model, mc.randn(1, 2, 5, 5))
    assert type(fused.bn) is nn.BatchNorm2d and type(fused.conv) is nn.Conv2d


def test_a_shared_conv_is_not_folded():
    conv = nn.Conv2d(3, 3, 1)
    model = _randomise_batchnorms(nn.Sequential(conv, nn.BatchNorm2d(3), conv)).eval()
    fused = fuse_conv_bn(model, mc.randn(1, 3, 4, 4))
    assert _count(fused, nn.BatchNorm2d) == 1


def test_errors_name_the_op_argument_and_value():
    conv, bn = nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4)
    with pytest.raises(ValueError, match=r"fuse_conv_bn_eval: conv must be in eval mode .*"
                                         r"conv.training=True"):
        fuse_conv_bn_eval(conv, bn.eval())
    with pytest.raises(ValueError, match=r"fuse_conv_bn_eval: bn must be in eval mode"):
        fuse_conv_bn_eval(conv.eval(), bn.train())
    with pytest.raises(ValueError, match=r"fuse_conv_bn_eval: bn has no running statistics "
                                         r"to fold \(track_running_stats=False\)"):
        fuse_conv_bn_eval(conv, nn.BatchNorm2d(4, track_running_stats=False).eval())
    with pytest.raises(ValueError, match=r"fuse_conv_bn_eval: bn.num_features=5 differs from "
                                         r"conv.out_channels=4"):
        fuse_conv_bn_eval(conv, nn.BatchNorm2d(5).eval())
    with pytest.raises(TypeError, match=r"fuse_conv_bn_eval: conv must be an nn.Conv2d, got "
                                        r"ConvTranspose2d"):
        fuse_conv_bn_eval(nn.ConvTranspose2d(2, 4, 3).eval(), bn.eval())
    with pytest.raises(TypeError, match=r"bn must be an nn.BatchNorm2d, got BatchNorm1d"):
        fuse_conv_bn_eval(conv, nn.BatchNorm1d(4).eval())
    model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4))
    with pytest.raises(ValueError, match=r"fuse_conv_bn: model must be in eval mode .*"
                                         r"model.training=True"):
        fuse_conv_bn(model, mc.randn(1, 2, 5, 5))
    model.eval()
    model[1].train()
    with pytest.raises(ValueError, match=r"fuse_conv_bn: every submodule must be in eval mode, "
                                         r"got '1'.training=True"):
        fuse_conv_bn(model, mc.randn(1, 2, 5, 5))
    stats_free = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4, track_running_stats=False))
    with pytest.raises(ValueError, match=r"bn has no running statistics"):
        fuse_conv_bn(stats_free.eval(), mc.randn(1, 2, 5, 5))


@pytest.mark.gpu
def test_fuse_conv_bn_on_cuda_matches_cpu():
    """The fold runs on the weights' device: the fused network stays on the GPU and gives the
    logits the fused network gives on the CPU."""
    model = _randomise_batchnorms(nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Conv2d(4, 2, 1), nn.BatchNorm2d(2))).double().eval()
    x = mc.randn(2, 3, 5, 5, dtype=mc.float64)
    on_cpu = fuse_conv_bn(model, x)
    on_gpu = fuse_conv_bn(model.to("cuda"), x.to("cuda"))
    assert _count(on_gpu, nn.BatchNorm2d) == 0
    assert all(p.device == mc.device("cuda") for p in on_gpu.parameters())
    with mc.no_grad():
        got = on_gpu(x.to("cuda")).to("cpu").numpy()
        expected = on_cpu(x).numpy()
        unfused = model(x.to("cuda")).to("cpu").numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got, unfused, rtol=1e-10, atol=1e-12)
