"""torchvision's Vision Transformer: parameter counts and state_dict keys of vit_b_16/vit_b_32,
output shapes (small configurations and the benchmark's CIFAR-sized one), torchvision's
initialisation, an encoder block equal to the same block written with torch, dropout, SGD,
argument errors, and logits parity with torchvision at 224."""
from collections import OrderedDict
import math

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn
from minicnn.models import VisionTransformer, vit_b_16, vit_b_32
from minicnn.models.vit import EncoderBlock
from model_helpers import (assert_matches_fixture, assert_sgd_lowers_loss,
                           assert_train_eval_differ, libraries_importable, load_reference_weights,
                           record_parity, reference_model, relative_error)

FULL = {"vit_b_16": vit_b_16, "vit_b_32": vit_b_32}
SMALL = dict(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64)


def _small(**kwargs):
    return VisionTransformer(**dict(SMALL, **kwargs))


def _randomize_head(model, seed=0):
    """torchvision zero-initialises the head; give it weights so outputs depend on the input."""
    rng = np.random.default_rng(seed)
    for p in model.heads.parameters():
        p._data[...] = rng.standard_normal(p.shape).astype(np.float32) * 0.1


@pytest.mark.parametrize("name", list(FULL))
def test_parameter_count_and_keys_equal_torchvision(name):
    model = FULL[name]()
    assert_matches_fixture(model, name)
    assert model.input_size == (3, 224, 224) and model.seq_length == 1 + (224 // (
        16 if name == "vit_b_16" else 32)) ** 2


@pytest.mark.parametrize("batch, kwargs, classes", [
    (2, {}, 10), (1, dict(num_classes=3), 3), (3, dict(image_size=24, patch_size=6), 10),
    (2, dict(representation_size=16), 10)])
def test_output_shape(batch, kwargs, classes):
    mc.manual_seed(0)
    model = _small(**dict(dict(num_classes=10), **kwargs))
    size = model.image_size
    assert model.input_size == (3, size, size)
    with mc.no_grad():
        out = model(mc.randn(batch, 3, size, size)).numpy()
    assert out.shape == (batch, classes) and np.all(np.isfinite(out))


def test_benchmark_configuration_runs_at_32():
    """Patch 4, D = 192, depth 6, 3 heads on CIFAR-sized inputs: 64 patches + class token."""
    model = VisionTransformer(image_size=32, patch_size=4, num_layers=6, num_heads=3,
                              hidden_dim=192, mlp_dim=768, num_classes=10)
    assert model.encoder.pos_embedding.shape == (1, 65, 192)
    per_layer = 2 * 384 + (3 * 192 * 192 + 3 * 192) + (192 * 192 + 192) + 2 * 192 * 768 + 768 + 192
    stem = 192 * 3 * 4 * 4 + 192 + 192 + 65 * 192            # conv_proj, class token, positions
    assert sum(p.numel() for p in model.parameters()) == \
        stem + 6 * per_layer + 384 + 192 * 10 + 10 == 2_693_578
    out = model(mc.randn(2, 3, 32, 32))
    assert out.shape == (2, 10)
    out.sum().backward()
    assert model.conv_proj.weight.grad is not None


def test_representation_size_adds_pre_logits_and_tanh():
    model = _small(representation_size=16, num_classes=10)
    keys = [k for k in model.state_dict() if k.startswith("heads")]
    assert keys == ["heads.pre_logits.weight", "heads.pre_logits.bias", "heads.head.weight",
                    "heads.head.bias"]
    assert isinstance(model.heads.act, nn.Tanh)
    assert model.heads.head.weight.shape == (10, 16)


def test_torchvision_initialisation():
    mc.manual_seed(0)
    model = VisionTransformer(image_size=64, patch_size=16, num_layers=2, num_heads=4,
                              hidden_dim=256, mlp_dim=512, num_classes=10)
    sd = {k: v.numpy() for k, v in model.state_dict().items()}
    assert not sd["class_token"].any()
    assert not sd["heads.head.weight"].any() and not sd["heads.head.bias"].any()
    assert not sd["conv_proj.bias"].any()
    assert sd["conv_proj.weight"].std() == pytest.approx(math.sqrt(1 / (3 * 16 * 16)), rel=0.05)
    assert sd["encoder.pos_embedding"].std() == pytest.approx(0.02, rel=0.05)
    layer = "encoder.layers.encoder_layer_1."
    bound = math.sqrt(6 / (256 + 512))                       # xavier_uniform_ on the MLP
    w = sd[layer + "mlp.0.weight"]
    assert np.abs(w).max() <= bound and w.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert 0 < np.abs(sd[layer + "mlp.3.bias"]).max() < 1e-5    # N(0, 1e-6²) biases
    assert not sd[layer + "self_attention.in_proj_bias"].any()
    assert np.all(sd[layer + "ln_1.weight"] == 1) and model.encoder.ln.eps == 1e-6


def test_encoder_block_equals_the_block_written_with_torch():
    torch = pytest.importorskip("torch")
    mc.manual_seed(0)
    block = EncoderBlock(4, 32, 64, 0.0, 0.0, lambda d: nn.LayerNorm(d, eps=1e-6)).eval()
    tnn = torch.nn
    ref = tnn.ModuleDict(OrderedDict(
        ln_1=tnn.LayerNorm(32, eps=1e-6), ln_2=tnn.LayerNorm(32, eps=1e-6),
        self_attention=tnn.MultiheadAttention(32, 4, batch_first=True),
        mlp=tnn.Sequential(tnn.Linear(32, 64), tnn.GELU(), tnn.Dropout(0.0), tnn.Linear(64, 32),
                           tnn.Dropout(0.0))))
    ref.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in block.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 7, 32)).astype(np.float32)
    with torch.no_grad():
        t = torch.from_numpy(x)
        h = ref["ln_1"](t)
        t = t + ref["self_attention"](h, h, h, need_weights=False)[0]
        want = (t + ref["mlp"](ref["ln_2"](t))).numpy()
    with mc.no_grad():
        got = block(mc.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_train_and_eval_differ_with_dropout():
    mc.manual_seed(0)
    model = _small(dropout=0.2, attention_dropout=0.1, num_classes=10)
    _randomize_head(model)
    assert_train_eval_differ(model, mc.randn(2, 3, 32, 32))


def test_sgd_steps_lower_the_loss():
    mc.manual_seed(0)
    model = _small(num_classes=10)
    assert_sgd_lowers_loss(model, (8, 3, 32, 32), 10, lr=0.05)


@pytest.mark.parametrize("kwargs, message", [
    (dict(image_size=30), "VisionTransformer: image_size 30 is not divisible by patch_size 8"),
    (dict(hidden_dim=30, num_heads=4), "hidden_dim 30 is not divisible by num_heads 4"),
    (dict(num_layers=0), "num_layers must be a positive int, got 0"),
    (dict(patch_size=2.5), "patch_size must be a positive int"),
    (dict(num_classes=-1), "num_classes"),
    (dict(dropout=1.5), "dropout must be in"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _small(**kwargs)


def test_wrong_input_size_and_weights_are_refused():
    model = _small()
    with pytest.raises(ValueError, match="expected 32×32 images, got 24×32"):
        model(mc.randn(1, 3, 24, 32))
    with pytest.raises(ValueError, match=r"vit_b_16: minicnn downloads no pretrained weights "
                                         r"\(weights='IMAGENET1K_V1'\)"):
        vit_b_16(weights="IMAGENET1K_V1")


def test_small_configuration_equals_torchvision():
    if not libraries_importable("torch", "torchvision"):
        pytest.skip("torchvision is not installed")
    import torch
    from torchvision.models.vision_transformer import VisionTransformer as Reference
    torch.manual_seed(0)
    ref = Reference(**SMALL, num_classes=10, representation_size=16).eval()
    with torch.no_grad():
        for p in ref.parameters():
            p.normal_(0, 0.2)
    model = _small(num_classes=10, representation_size=16)
    model.load_state_dict(mc.io.from_torch(ref.state_dict()))
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    with mc.no_grad():
        got = model.eval()(mc.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", list(FULL))
def test_logits_parity_with_torchvision(name):
    """torchvision zero-initialises the head, which would make any comparison pass: the
    reference's head is drawn at random first."""
    if not libraries_importable("torch", "torchvision"):
        pytest.skip("torchvision is not installed")
    import torch
    ref = reference_model(name)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in ref.heads.parameters():
            p.normal_(0, 0.05, generator=generator)
    model = load_reference_weights(FULL[name](), ref).eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 224, 224)).astype(np.float32)
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    with mc.no_grad():
        got = model(mc.tensor(x)).numpy()
    assert got.shape == want.shape == (2, 1000) and np.abs(want).max() > 0.1
    error = relative_error(got, want)
    record_parity(name, error)
    assert error <= 1e-4, f"{name}: max relative error {error:.3g}"
