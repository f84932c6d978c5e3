"""Zero-shot classifier weights (prompt ensembling) and logits with a tiny random CLIP and a
tiny vocabulary; the same weights as open_clip's build_zero_shot_classifier when it imports."""
import numpy as np
import pytest

import minicnn as mc
from minicnn.models import (SimpleTokenizer, zero_shot_classifier, zero_shot_logits,
                            zero_shot_probs)
from test_clip import TINY_TEXT, TINY_VISION, images_for, tiny_clip
from test_clip_tokenizer import write_vocab

CLASSNAMES = ["cat", "dog", "hello", "the fish", "cafe"]
TEMPLATES = ["a photo of a {}.", "{}", "a drawing of the {}!"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tokenizer = SimpleTokenizer(write_vocab(tmp_path_factory.mktemp("vocab") / "v.gz"),
                                context_length=TINY_TEXT["context_length"])
    model = tiny_clip("vit", vocab_size=tokenizer.vocab_size).eval()
    return model, tokenizer


def _unit(x, axis):
    return x / np.linalg.norm(x, axis=axis, keepdims=True)


def test_classifier_is_the_renormalised_mean_of_unit_prompt_embeddings(setup):
    model, tokenizer = setup
    weights = zero_shot_classifier(model, tokenizer, CLASSNAMES, TEMPLATES)
    assert weights.shape == (16, len(CLASSNAMES)) and not weights.requires_grad
    np.testing.assert_allclose(np.linalg.norm(weights.numpy(), axis=0), 1, rtol=1e-5)
    with mc.no_grad():
        for column, name in enumerate(CLASSNAMES):
            prompts = [model.encode_text(tokenizer(t.format(name))).numpy()[0] for t in TEMPLATES]
            expected = _unit(np.mean(_unit(np.array(prompts), 1), axis=0), 0)
            np.testing.assert_allclose(weights.numpy()[:, column], expected, rtol=1e-5,
                                       atol=1e-6)


@pytest.mark.parametrize("per_batch", [1, 2, None])
def test_batching_and_callable_templates_give_the_same_weights(setup, per_batch):
    model, tokenizer = setup
    reference = zero_shot_classifier(model, tokenizer, CLASSNAMES, TEMPLATES).numpy()
    callables = [lambda c, t=t: t.format(c) for t in TEMPLATES]
    got = zero_shot_classifier(model, tokenizer, tuple(CLASSNAMES), callables,
                               num_classes_per_batch=per_batch).numpy()
    np.testing.assert_allclose(got, reference, rtol=1e-5, atol=1e-6)


def test_logits_and_probabilities(setup):
    model, tokenizer = setup
    weights = zero_shot_classifier(model, tokenizer, CLASSNAMES, TEMPLATES)
    images = images_for(model, 3)
    with mc.no_grad():
        unit_images = model.encode_image(images, normalize=True).numpy()
        logits = zero_shot_logits(model, images, weights).numpy()
        hundred = zero_shot_logits(model, images, weights, logit_scale=100.0).numpy()
        probs = zero_shot_probs(model, images, weights).numpy()
    assert logits.shape == probs.shape == (3, len(CLASSNAMES))
    np.testing.assert_allclose(logits, (1 / 0.07) * unit_images @ weights.numpy(), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(hundred, 100 * unit_images @ weights.numpy(), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(probs.argmax(axis=1), logits.argmax(axis=1))


def test_an_image_is_closest_to_its_own_embedding(setup):
    """With the images' own unit embeddings as class vectors, each image picks itself."""
    model, _ = setup
    images = images_for(model, 4, seed=3)
    with mc.no_grad():
        own = model.encode_image(images, normalize=True).T          # (16, 4)
        probs = zero_shot_probs(model, images, own).numpy()
    np.testing.assert_array_equal(probs.argmax(axis=1), np.arange(4))


def test_errors(setup):
    model, tokenizer = setup
    for classnames, templates, match in [([], TEMPLATES, "classnames"),
                                         ("cat", TEMPLATES, "classnames"),
                                         (CLASSNAMES, [], "templates"),
                                         (CLASSNAMES, "{}", "templates")]:
        with pytest.raises(ValueError, match=f"zero_shot_classifier: {match}"):
            zero_shot_classifier(model, tokenizer, classnames, templates)
    with pytest.raises(ValueError, match="num_classes_per_batch .* 0"):
        zero_shot_classifier(model, tokenizer, CLASSNAMES, TEMPLATES, num_classes_per_batch=0)
    with pytest.raises(ValueError, match=r"zero_shot_logits: classifier .*\(8, 5\)"):
        zero_shot_logits(model, images_for(model, 1), mc.zeros(8, 5))


def test_same_weights_as_open_clip():
    open_clip = pytest.importorskip("open_clip")
    torch = pytest.importorskip("torch")
    from open_clip.zero_shot_classifier import build_zero_shot_classifier
    from model_helpers import load_reference_weights, record_parity, relative_error

    text_cfg = dict(TINY_TEXT, context_length=77, vocab_size=49408)
    torch.manual_seed(0)
    ref = open_clip.model.CLIP(16, TINY_VISION["vit"], text_cfg).eval()
    model = load_reference_weights(tiny_clip("vit", **text_cfg), ref).eval()
    classnames = ["goldfish", "great white shark", "tree frog", "school bus"]
    templates = ["a photo of a {}.", "a blurry photo of the {}.", "itap of a {}."]
    expected = build_zero_shot_classifier(ref, open_clip.get_tokenizer("ViT-B-32"), classnames,
                                          templates, num_classes_per_batch=3).numpy()
    got = zero_shot_classifier(model, SimpleTokenizer(), classnames, templates).numpy()
    error = relative_error(got, expected)
    record_parity("clip_zero_shot_classifier", error)
    assert error <= 1e-5
