"""timm's ViT/DeiT: parameter counts and state_dict keys of the seven constructors, output shapes,
the distilled model's (class, distillation) pair in training and mean in eval, timm's
initialisation, a block equal to the same block written with torch, stochastic depth, dropout,
SGD (plain and with distillation), argument errors, and logits parity with timm at 224."""
import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim
from minicnn.models import (DeiT, VisionTransformerDistilled, deit_base_distilled_patch16_224,
                            deit_base_patch16_224, deit_small_distilled_patch16_224,
                            deit_small_patch16_224, deit_tiny_distilled_patch16_224,
                            deit_tiny_patch16_224, hard_distillation_loss, soft_distillation_loss,
                            vit_tiny_patch16_224)
from minicnn.models.deit import Block, DropPath
from model_helpers import (assert_logits_parity, assert_matches_fixture, assert_sgd_lowers_loss,
                           assert_train_eval_differ, libraries_importable, load_reference_weights,
                           record_parity, reference_model, relative_error, two_batches)

FULL = {f.__name__: f for f in (vit_tiny_patch16_224, deit_tiny_patch16_224,
                                deit_small_patch16_224, deit_base_patch16_224,
                                deit_tiny_distilled_patch16_224,
                                deit_small_distilled_patch16_224,
                                deit_base_distilled_patch16_224)}
SMALL = dict(img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2, num_classes=10)


def _small(cls=DeiT, **kwargs):
    return cls(**dict(SMALL, **kwargs))


@pytest.mark.parametrize("name", list(FULL))
def test_parameter_count_and_keys_equal_timm(name):
    model = FULL[name](weight_init="skip")              # counts and keys only: skip the init
    assert_matches_fixture(model, name)
    assert model.input_size == (3, 224, 224)
    assert isinstance(model, VisionTransformerDistilled) == ("distilled" in name)


def test_tiny_with_timm_initialisation():
    mc.manual_seed(0)
    model = deit_tiny_patch16_224()
    assert_matches_fixture(model, "deit_tiny_patch16_224")
    blocks = model.blocks
    for linear in (blocks[0].attn.qkv, blocks[5].mlp.fc2, model.head):  # trunc N(0, 0.02²)
        w = linear.weight.detach().numpy()
        assert w.std() == pytest.approx(0.02, rel=0.05) and np.abs(w).max() <= 2.0
        assert not linear.bias.detach().numpy().any()
    assert model.pos_embed.detach().numpy().std() == pytest.approx(0.02, rel=0.05)
    assert 0 < np.abs(model.cls_token.detach().numpy()).max() < 1e-5   # N(0, 1e-6²)
    assert np.all(blocks[0].norm1.weight.detach().numpy() == 1) and model.norm.eps == 1e-6
    assert blocks[0].mlp.act.approximate == "none"


def test_distilled_initialisation_and_tokens():
    mc.manual_seed(0)
    model = _small(VisionTransformerDistilled, embed_dim=512, num_heads=8)
    assert model.num_prefix_tokens == 2 and model.pos_embed.shape == (1, 2 + 16, 512)
    assert model.dist_token.detach().numpy().std() == pytest.approx(0.02, rel=0.2)
    w = model.head_dist.weight.detach().numpy()
    assert w.shape == (10, 512) and w.std() == pytest.approx(0.02, rel=0.05)


@pytest.mark.parametrize("cls", [DeiT, VisionTransformerDistilled])
@pytest.mark.parametrize("batch, kwargs, classes", [
    (2, {}, 10), (1, dict(num_classes=3), 3), (3, dict(img_size=(24, 40), patch_size=8), 10),
    (2, dict(mlp_ratio=2.0, qkv_bias=False, in_chans=1), 10), (2, dict(num_classes=0), 32)])
def test_output_shape(cls, batch, kwargs, classes):
    mc.manual_seed(0)
    model = _small(cls, **kwargs).eval()
    c, h, w = model.input_size
    with mc.no_grad():
        out = model(mc.randn(batch, c, h, w)).numpy()
    assert out.shape == (batch, classes) and np.all(np.isfinite(out))


def test_qkv_bias_false_drops_the_bias():
    model = _small(qkv_bias=False)
    assert "blocks.0.attn.qkv.bias" not in model.state_dict()
    assert "blocks.0.attn.proj.bias" in model.state_dict()


def test_distilled_returns_the_pair_in_training_and_the_mean_in_eval():
    mc.manual_seed(0)
    model = _small(VisionTransformerDistilled)
    x = mc.randn(2, 3, 32, 32)
    with mc.no_grad():
        cls_logits, dist_logits = model.train()(x)
        mean = model.eval()(x).numpy()
        features = model.forward_features(x)
        heads = (model.head(features[:, 0]).numpy(), model.head_dist(features[:, 1]).numpy())
    np.testing.assert_allclose(cls_logits.numpy(), heads[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dist_logits.numpy(), heads[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mean, (heads[0] + heads[1]) / 2, rtol=1e-5, atol=1e-6)
    assert not np.allclose(heads[0], heads[1])
    model.set_distilled_training(False)
    with mc.no_grad():
        np.testing.assert_allclose(model.train()(x).numpy(), mean, rtol=1e-5, atol=1e-6)


def test_block_equals_the_block_written_with_torch():
    torch = pytest.importorskip("torch")
    mc.manual_seed(0)
    block = Block(32, 4, 4.0, True, 0.0, 0.0, 0.0).eval()
    w = {k: torch.from_numpy(v.numpy()) for k, v in block.state_dict().items()}
    x = np.random.default_rng(0).standard_normal((2, 7, 32)).astype(np.float32)
    tf = torch.nn.functional
    with torch.no_grad():
        t = torch.from_numpy(x)
        h = tf.layer_norm(t, (32,), w["norm1.weight"], w["norm1.bias"], eps=1e-6)
        q, k, v = tf.linear(h, w["attn.qkv.weight"], w["attn.qkv.bias"]).reshape(
            2, 7, 3, 4, 8).permute(2, 0, 3, 1, 4)
        a = torch.softmax(q @ k.transpose(-1, -2) / 8 ** 0.5, dim=-1) @ v
        t = t + tf.linear(a.transpose(1, 2).reshape(2, 7, 32), w["attn.proj.weight"],
                          w["attn.proj.bias"])
        h = tf.layer_norm(t, (32,), w["norm2.weight"], w["norm2.bias"], eps=1e-6)
        h = tf.gelu(tf.linear(h, w["mlp.fc1.weight"], w["mlp.fc1.bias"]))
        want = (t + tf.linear(h, w["mlp.fc2.weight"], w["mlp.fc2.bias"])).numpy()
    with mc.no_grad():
        got = block(mc.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_drop_path_drops_whole_samples():
    mc.manual_seed(0)
    layer = DropPath(0.5)
    x = mc.ones(64, 3, 4)
    out = layer(x).numpy()
    per_sample = out.reshape(64, -1)
    assert set(np.unique(per_sample)) <= {0.0, 2.0}
    assert np.all(per_sample.min(axis=1) == per_sample.max(axis=1))
    assert 10 < (per_sample[:, 0] == 0).sum() < 54
    assert layer.eval()(x) is x


def test_stochastic_depth_decay_rule():
    model = _small(depth=5, drop_path_rate=0.2)
    rates = [getattr(b.drop_path1, "drop_prob", 0.0) for b in model.blocks]
    np.testing.assert_allclose(rates, [0.0, 0.05, 0.1, 0.15, 0.2])
    assert isinstance(model.blocks[0].drop_path1, nn.Identity)


@pytest.mark.parametrize("cls", [DeiT, VisionTransformerDistilled])
@pytest.mark.parametrize("rates", [dict(drop_rate=0.3), dict(attn_drop_rate=0.3),
                                   dict(proj_drop_rate=0.3), dict(pos_drop_rate=0.3),
                                   dict(drop_path_rate=0.5)])
def test_train_and_eval_differ(cls, rates):
    mc.manual_seed(0)
    assert_train_eval_differ(_small(cls, **rates), mc.randn(2, 3, 32, 32))


def test_sgd_steps_lower_the_loss():
    mc.manual_seed(0)
    assert_sgd_lowers_loss(_small(drop_path_rate=0.1), (8, 3, 32, 32), 10, lr=0.05)


@pytest.mark.parametrize("loss", ["soft", "hard"])
def test_distillation_training_lowers_both_terms(loss):
    """Training the distilled student against a fixed teacher lowers the distillation loss."""
    mc.manual_seed(0)
    model = _small(VisionTransformerDistilled)
    batches = two_batches((8, 3, 32, 32), 10)
    rng = np.random.default_rng(1)
    teachers = [mc.tensor(rng.standard_normal((8, 10)).astype(np.float32) * 3) for _ in batches]

    def loss_fn(out, teacher, y):
        if loss == "soft":
            return soft_distillation_loss(out, teacher, y, alpha=0.5, tau=2.0)
        return hard_distillation_loss(out, teacher, y)

    def total():
        model.train()                                       # no dropout: deterministic pair
        with mc.no_grad():
            return sum(float(loss_fn(model(x), t, y).item())
                       for (x, y), t in zip(batches, teachers))

    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    before = total()
    for _ in range(3):
        for (x, y), t in zip(batches, teachers):
            opt.zero_grad()
            loss_fn(model(x), t, y).backward()
            opt.step()
    assert total() < before
    assert model.dist_token.grad is not None and model.head_dist.weight.grad is not None


@pytest.mark.parametrize("kwargs, message", [
    (dict(img_size=30), "DeiT: image_size 30 is not divisible by patch_size 8"),
    (dict(embed_dim=30, num_heads=4), "embed_dim 30 is not divisible by num_heads 4"),
    (dict(depth=0), "depth must be a positive int, got 0"),
    (dict(num_classes=-2), "num_classes must be a non-negative int"),
    (dict(drop_path_rate=1.5), "drop_path_rate must be in"),
    (dict(mlp_ratio=0), "mlp_ratio must be positive"),
    (dict(weight_init="jax"), "weight_init must be"),
    (dict(patch_size=0), "patch_size"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _small(**kwargs)


def test_wrong_input_size_and_pretrained_are_refused():
    with pytest.raises(ValueError, match="expected 32×32 images, got 32×24"):
        _small()(mc.randn(1, 3, 32, 24))
    with pytest.raises(ValueError, match=r"deit_tiny_patch16_224: minicnn downloads no "
                                         r"pretrained weights \(pretrained=True\)"):
        deit_tiny_patch16_224(pretrained=True)


def _timm():
    if not libraries_importable("torch", "timm"):
        pytest.skip("timm is not installed")


@pytest.mark.parametrize("name", ["vit_tiny_patch16_224", "deit_tiny_patch16_224",
                                  "deit_small_distilled_patch16_224"])
def test_logits_parity_with_timm(name):
    _timm()
    assert_logits_parity(FULL[name](weight_init="skip"), name, (2, 3, 224, 224))


def test_distilled_training_pair_parity_with_timm():
    """Training mode without dropout is deterministic: (class, distillation) logits agree."""
    _timm()
    import torch
    name = "deit_small_distilled_patch16_224"
    ref = reference_model(name).train()
    ref.set_distilled_training(True)
    model = load_reference_weights(FULL[name](weight_init="skip"), ref).train()
    x = np.random.default_rng(0).standard_normal((2, 3, 224, 224)).astype(np.float32)
    with torch.no_grad():
        want = np.stack([t.numpy() for t in ref(torch.from_numpy(x))])
    with mc.no_grad():
        got = np.stack([t.numpy() for t in model(mc.tensor(x))])
    assert got.shape == want.shape == (2, 2, 1000)
    error = relative_error(got, want)
    record_parity(name + " (training pair)", error)
    assert error <= 1e-4


@pytest.mark.parametrize("cls_name", ["VisionTransformer", "VisionTransformerDistilled"])
def test_small_configuration_parity_with_timm(cls_name):
    _timm()
    import torch
    import timm.models.deit as timm_deit
    torch.manual_seed(0)
    ref = getattr(timm_deit, cls_name)(**SMALL).eval()
    with torch.no_grad():
        for p in ref.parameters():
            p.normal_(0, 0.2)
    model = _small(VisionTransformerDistilled if "Distilled" in cls_name else DeiT).eval()
    load_reference_weights(model, ref)
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    with mc.no_grad():
        got = model(mc.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
