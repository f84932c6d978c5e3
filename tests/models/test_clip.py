"""CLIP (open_clip's RN50 and ViT-B-32): parameter counts and state_dict keys against the
fixtures, tiny towers (shapes, unit features, causal text mask, EOT pooling, train/eval, a
training step), the contrastive loss (gradcheck, PyTorch parity), argument errors, and parity
with open_clip (full-size models and tiny configs) when it imports."""
import math

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim
from minicnn.models import CLIP, ClipLoss, clip_loss, clip_rn50, clip_vit_b_32
from minicnn.models.clip import QuickGELU
from minicnn.utils import gradcheck
from model_helpers import (assert_matches_fixture, load_fixture, load_reference_weights,
                           param_count, record_parity, reference_model, relative_error)

CONSTRUCTORS = {"clip_rn50": clip_rn50, "clip_vit_b_32": clip_vit_b_32}
TINY_TEXT = dict(context_length=12, vocab_size=600, width=32, heads=4, layers=2)
TINY_VISION = {  # small towers of both kinds, quick to build and run
    "resnet": dict(layers=(1, 1, 1, 1), width=8, head_width=32, image_size=64),
    "vit": dict(layers=2, width=32, head_width=16, patch_size=8, image_size=32),
}
SOT, EOT = TINY_TEXT["vocab_size"] - 2, TINY_TEXT["vocab_size"] - 1


def tiny_clip(kind="vit", quick_gelu=False, seed=0, **text):
    """A CLIP with 16-d embeddings and small towers (`kind` "resnet" or "vit"); `text`
    overrides entries of TINY_TEXT."""
    mc.manual_seed(seed)
    return CLIP(16, TINY_VISION[kind], dict(TINY_TEXT, **text), quick_gelu=quick_gelu)


def token_rows(lengths, seed=0):
    """(N, 12) int64 ids: SOT, random ids below SOT, EOT, zero padding; rows of `lengths`."""
    rng = np.random.default_rng(seed)
    rows = np.zeros((len(lengths), TINY_TEXT["context_length"]), np.int64)
    for row, length in zip(rows, lengths):
        row[:length] = [SOT, *rng.integers(1, SOT, length - 2), EOT]
    return mc.tensor(rows)


def images_for(model, batch, seed=0):
    rng = np.random.default_rng(seed)
    return mc.tensor(rng.standard_normal((batch, *model.input_size)).astype(np.float32))


# ---- full-size models: construction only -------------------------------------------------

@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_full_size_parameters_keys_and_buffers(name):
    model = CONSTRUCTORS[name]()
    assert param_count(model) == load_fixture(name)["params"]
    assert_matches_fixture(model, name)
    assert model.input_size == (3, 224, 224)
    assert "attn_mask" in dict(model.named_buffers()) and "attn_mask" not in model.state_dict()
    assert model.attn_mask.shape == (77, 77)
    assert model.logit_scale.shape == () and model.logit_scale.item() == pytest.approx(
        math.log(1 / 0.07))
    gelus = [type(m) for m in model.modules() if type(m) in (nn.GELU, QuickGELU)]
    assert gelus and set(gelus) == {nn.GELU}


def test_fixture_counts_are_the_published_ones():
    rn50, vit = load_fixture("clip_rn50"), load_fixture("clip_vit_b_32")
    assert (rn50["params"], vit["params"]) == (102_007_137, 151_277_313)


# ---- tiny towers ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(TINY_VISION))
def test_output_shapes_and_unit_features(kind):
    model = tiny_clip(kind).eval()
    images, tokens = images_for(model, 3), token_rows([4, 6])
    with mc.no_grad():
        image_features = model.encode_image(images)
        text_features = model.encode_text(tokens)
        unit_image, unit_text, scale = model(images, tokens)
        logits_per_image, logits_per_text = model.get_logits(images, tokens)
    assert image_features.shape == (3, 16) and text_features.shape == (2, 16)
    np.testing.assert_allclose(np.linalg.norm(unit_image.numpy(), axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(unit_text.numpy(), axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(unit_image.numpy(), image_features.numpy()
                               / np.linalg.norm(image_features.numpy(), axis=1, keepdims=True),
                               rtol=1e-5, atol=1e-6)
    assert scale.shape == () and scale.item() == pytest.approx(1 / 0.07, rel=1e-6)
    assert model(images)[1] is None and model(text=tokens)[0] is None
    np.testing.assert_allclose(logits_per_image.numpy(),
                               scale.item() * unit_image.numpy() @ unit_text.numpy().T,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(logits_per_text.numpy(), logits_per_image.numpy().T)


def test_text_features_are_causal_and_taken_at_the_end_token():
    """Ids after EOT (padding, or junk below EOT) change nothing; an id before EOT does."""
    model = tiny_clip().eval()
    tokens = token_rows([5, 5])
    changed_after, changed_before = tokens.numpy().copy(), tokens.numpy().copy()
    changed_after[:, 6:] = 7
    changed_before[:, 2] += 1
    with mc.no_grad():
        base = model.encode_text(tokens).numpy()
        after = model.encode_text(mc.tensor(changed_after)).numpy()
        before = model.encode_text(mc.tensor(changed_before)).numpy()
        short = model.encode_text(tokens[:, :5]).numpy()  # fewer positions than context_length
    np.testing.assert_allclose(after, base, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(short, base, rtol=1e-5, atol=1e-6)
    assert not np.allclose(before, base, atol=1e-4)


@pytest.mark.parametrize("quick_gelu, act", [(False, nn.GELU), (True, QuickGELU)])
def test_activation_choice(quick_gelu, act):
    model = tiny_clip("vit", quick_gelu=quick_gelu)
    kinds = {type(m) for m in model.modules()}
    assert act in kinds and ({nn.GELU, QuickGELU} - {act}).isdisjoint(kinds)
    x = mc.tensor(np.linspace(-3, 3, 7))
    expected = x.numpy() / (1 + np.exp(-1.702 * x.numpy()))
    np.testing.assert_allclose(QuickGELU()(x).numpy(), expected, rtol=1e-12)


def test_batch_norm_makes_train_and_eval_differ_in_the_resnet_tower():
    model = tiny_clip("resnet")
    images = images_for(model, 4)
    model.eval()
    with mc.no_grad():
        first, second = model.encode_image(images).numpy(), model.encode_image(images).numpy()
        model.train()
        train = model.encode_image(images).numpy()
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(train, first, atol=1e-4)


@pytest.mark.parametrize("kind", sorted(TINY_VISION))
def test_sgd_steps_lower_the_contrastive_loss(kind):
    model = tiny_clip(kind)
    batches = [(images_for(model, 4, seed), token_rows([3, 5, 7, 9], seed)) for seed in (1, 2)]
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = ClipLoss()

    def total_loss():
        model.eval()
        with mc.no_grad():
            return sum(float(loss_fn(*model(x, t)).item()) for x, t in batches)

    before = total_loss()
    for _ in range(3):
        for x, t in batches:
            model.train()
            opt.zero_grad()
            loss_fn(*model(x, t)).backward()
            opt.step()
    assert model.logit_scale.grad is not None
    after = total_loss()
    assert np.isfinite(after) and after < before, (before, after)


# ---- contrastive loss ----------------------------------------------------------------------

def _unit(rng, shape):
    x = rng.standard_normal(shape)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _numpy_clip_loss(image, text, scale):
    logits = scale * image @ text.T

    def cross_entropy(z):
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -np.mean(np.diag(log_p))

    return (cross_entropy(logits) + cross_entropy(logits.T)) / 2


@pytest.mark.parametrize("n, d", [(1, 3), (4, 5), (6, 2)])
def test_clip_loss_value(n, d):
    rng = np.random.default_rng(n)
    image, text = _unit(rng, (n, d)), _unit(rng, (n, d))
    got = clip_loss(mc.tensor(image), mc.tensor(text), mc.tensor(np.float64(7.5)))
    assert got.item() == pytest.approx(_numpy_clip_loss(image, text, 7.5), rel=1e-12)
    assert clip_loss(mc.tensor(image), mc.tensor(text), 7.5).item() == pytest.approx(got.item())


def test_clip_loss_of_matching_pairs_falls_with_the_temperature():
    features = mc.tensor(np.eye(4))
    losses = [clip_loss(features, features, scale).item() for scale in (1.0, 10.0, 100.0)]
    assert losses[0] > losses[1] > losses[2] and losses[2] < 1e-30
    assert losses[0] == pytest.approx(np.log(3 + np.e) - 1, rel=1e-12)


def test_clip_loss_gradcheck():
    rng = np.random.default_rng(0)
    inputs = (mc.tensor(rng.standard_normal((4, 3)), requires_grad=True),
              mc.tensor(rng.standard_normal((4, 3)), requires_grad=True),
              mc.tensor(np.float64(2.5), requires_grad=True))
    assert gradcheck(clip_loss, inputs)


def test_clip_loss_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = [_unit(rng, (5, 8)).astype(np.float32), _unit(rng, (5, 8)).astype(np.float32),
              np.float32(np.exp(1.3))]
    ours = [mc.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    loss = clip_loss(*ours)
    loss.backward()
    image, text, scale = theirs
    logits = scale * image @ text.T
    labels = torch.arange(5)
    expected = (torch.nn.functional.cross_entropy(logits, labels)
                + torch.nn.functional.cross_entropy(logits.T, labels)) / 2
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6)


# ---- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, image_size", [("clip_rn50", 100), ("clip_vit_b_32", 48),
                                              ("clip_rn50", 0), ("clip_vit_b_32", "224")])
def test_bad_image_size_is_named(name, image_size):
    with pytest.raises(ValueError, match=f"{name}: image_size .*{image_size!r}"):
        CONSTRUCTORS[name](image_size=image_size)


@pytest.mark.parametrize("embed_dim, vision, text, match", [
    (0, {}, {}, "embed_dim"),
    (16, dict(layers=(1, 1, 1)), {}, r"vision_cfg\.layers"),
    (16, dict(width=30, head_width=16), {}, r"vision_cfg\.width"),
    (16, dict(patch_size=7), {}, r"vision_cfg\.image_size"),
    (16, {}, dict(width=30, heads=4), r"text_cfg\.width"),
    (16, {}, dict(context_length=0), r"text_cfg\.context_length"),
])
def test_bad_config_is_named(embed_dim, vision, text, match):
    with pytest.raises(ValueError, match=f"CLIP: {match}"):
        CLIP(embed_dim, dict(TINY_VISION["vit"], **vision), dict(TINY_TEXT, **text))


def test_bad_inputs_are_named():
    model = tiny_clip()
    with pytest.raises(ValueError, match=r"encode_image.*\(N, 3, 32, 32\).*\(2, 3, 64, 64\)"):
        model.encode_image(mc.randn(2, 3, 64, 64))
    with pytest.raises(ValueError, match="encode_text.*float32"):
        model.encode_text(mc.randn(2, 12))
    with pytest.raises(ValueError, match="encode_text.*L <= 12"):
        model.encode_text(mc.zeros(2, 13, dtype=mc.int64))
    with pytest.raises(ValueError, match="clip_loss: image_features .* one shape"):
        clip_loss(mc.randn(3, 4), mc.randn(2, 4), 1.0)
    with pytest.raises(ValueError, match="clip_loss: text_features must be a 2-D"):
        clip_loss(mc.randn(3, 4), mc.randn(3, 4, 1), 1.0)


# ---- parity with open_clip -------------------------------------------------------------------

def _randomise_batch_norm(torch, ref, seed=1):
    """Give every BatchNorm non-trivial γ, β (open_clip zeroes the last γ of each block)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in ref.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.copy_(1 + 0.1 * torch.randn(module.weight.shape, generator=generator))
                module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=generator))


def _compare_outputs(torch, model, ref, images, tokens, label, rtol):
    """encode_image, encode_text and forward of `model` against `ref`; the largest error."""
    with torch.no_grad():
        expected = [ref.encode_image(torch.from_numpy(images)),
                    ref.encode_text(torch.from_numpy(tokens)),
                    *ref(torch.from_numpy(images), torch.from_numpy(tokens))]
    with mc.no_grad():
        got = [model.encode_image(mc.tensor(images)), model.encode_text(mc.tensor(tokens)),
               *model(mc.tensor(images), mc.tensor(tokens))]
    names = ["encode_image", "encode_text", "image_features", "text_features", "logit_scale"]
    errors = {}
    for name, ours, theirs in zip(names, got, expected):
        assert tuple(ours.shape) == tuple(theirs.shape), name
        errors[name] = relative_error(ours.numpy(), theirs.numpy())
    worst = max(errors.values())
    record_parity(label, worst)
    assert worst <= rtol, f"{label}: {errors}"
    return worst


@pytest.mark.parametrize("name, batch", [("clip_rn50", 1), ("clip_vit_b_32", 2)])
def test_same_outputs_as_open_clip(name, batch):
    open_clip = pytest.importorskip("open_clip")
    torch = pytest.importorskip("torch")
    ref = reference_model(name)
    _randomise_batch_norm(torch, ref)
    model = load_reference_weights(CONSTRUCTORS[name](), ref).eval()
    images = np.random.default_rng(0).standard_normal((batch, 3, 224, 224)).astype(np.float32)
    tokens = open_clip.tokenize(["a photo of a cat",
                                 "a diagram of a convolutional network, drawn by hand"]).numpy()
    _compare_outputs(torch, model, ref, images, tokens, name, rtol=1e-4)


@pytest.mark.parametrize("kind, quick_gelu", [("resnet", False), ("vit", False), ("vit", True)])
def test_tiny_configs_match_open_clip(kind, quick_gelu):
    open_clip = pytest.importorskip("open_clip")
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = open_clip.model.CLIP(16, TINY_VISION[kind], TINY_TEXT, quick_gelu=quick_gelu).eval()
    _randomise_batch_norm(torch, ref)
    model = tiny_clip(kind, quick_gelu=quick_gelu)
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    load_reference_weights(model, ref).eval()
    images = np.random.default_rng(0).standard_normal((2, *model.input_size)).astype(np.float32)
    _compare_outputs(torch, model, ref, images, token_rows([4, 12]).numpy(),
                     f"clip_tiny_{kind}{'_quickgelu' if quick_gelu else ''}", rtol=1e-5)
