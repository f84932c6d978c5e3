"""The pieces of the CLIP recipe on DigitCaptions: the shipped caption vocabulary (learned
from the captions, one id per word), clip_tiny, the contrastive wrapper that fit trains,
the pair loaders of each curriculum, and zero-shot accuracy."""
import numpy as np
import pytest

import minicnn as mc
from minicnn.models import ContrastiveCLIP, clip_tiny, contrastive_loss
from minicnn.models.caption_bpe import (CAPTION_BPE_PATH, CAPTION_CONTEXT_LENGTH, caption_merges,
                                        caption_tokenizer, learn_bpe_merges)
from minicnn.models.clip import clip_loss
from minicnn.models.clip_digit_captions import (caption_pairs, pair_loader,
                                                zero_shot_digit_accuracy)
from minicnn.models.clip_tokenizer import SimpleTokenizer
from minicnn.models.zero_shot import zero_shot_accuracy, zero_shot_classifier


def test_the_shipped_merges_are_those_learned_from_the_captions():
    shipped = SimpleTokenizer(CAPTION_BPE_PATH).bpe_ranks
    assert sorted(shipped, key=shipped.get) == caption_merges()


def test_learning_merges_joins_the_most_frequent_pair_first():
    merges = learn_bpe_merges(["ab ab ab", "ac"])
    assert merges[0] == ("a", "b</w>") and ("a", "c</w>") in merges
    assert learn_bpe_merges(["ab ab ab", "ac"], max_merges=1) == merges[:1]


def test_every_caption_word_is_one_id_and_every_caption_fits_the_context():
    tokenizer = caption_tokenizer()
    assert len(tokenizer.encode("a small 3 to the left of a large 7")) == 10
    assert tokenizer.decode(tokenizer.encode("a medium 5")) == "a medium 5 "
    data = caption_pairs("test", 32, length=200, tokenizer=tokenizer)
    longest = max(len(tokenizer.encode(data.caption(i))) + 2 for i in range(len(data)))
    assert longest <= CAPTION_CONTEXT_LENGTH
    assert tokenizer.encode("a photo of the digit 7")            # other text: byte by byte


def test_clip_tiny_takes_the_caption_tokens():
    mc.manual_seed(0)
    model = clip_tiny()
    assert sum(p.numel() for p in model.parameters()) == 260_161
    assert model.input_size == (3, 48, 48) and model.vocab_size == caption_tokenizer().vocab_size
    images, texts, scale = model(mc.randn(2, 3, 48, 48), caption_tokenizer()(["a 1", "a 2"]))
    assert images.shape == (2, 64) and texts.shape == (2, 64)
    with pytest.raises(ValueError, match="clip_tiny: image_size must be a positive multiple "
                                         "of 8, got 50"):
        clip_tiny(50)


def test_the_contrastive_wrapper_gives_logits_and_clip_loss():
    mc.manual_seed(0)
    model = ContrastiveCLIP(clip_tiny(32))
    batch, targets = next(iter(pair_loader(caption_pairs("train", 32, length=8), 4)))
    assert targets.numpy().tolist() == [0, 1, 2, 3] and len(batch) == 4
    out = model(batch)
    expected = out.logit_scale * (out.image_features @ out.text_features.T)
    np.testing.assert_allclose(out.logits_per_image.detach().numpy(), expected.detach().numpy(),
                               rtol=1e-6)
    assert contrastive_loss(out, targets).item() == pytest.approx(
        clip_loss(out.image_features, out.text_features, out.logit_scale).item())


def test_tonics_batches_share_a_digit_after_the_switch_and_random_ones_are_full():
    data = caption_pairs("train", 32, length=96)
    random = pair_loader(data, 16, "random", seed=3)
    assert [len(batch) for batch, _ in random] == [16] * 6
    tonics = pair_loader(data, 16, "tonics", seed=3, phase_switch=1)
    tonics.batch_sampler.set_epoch(1)
    sets = data.entity_sets
    for indices in tonics.batch_sampler:
        assert set.intersection(*(set(sets[i]) for i in indices))
    with pytest.raises(ValueError, match="pair_loader: curriculum must be None or one of "
                                         r"\('random', 'tonics'\), got 'hard'"):
        pair_loader(data, 16, "hard")


def test_zero_shot_accuracy_is_the_share_of_argmax_hits():
    mc.manual_seed(0)
    model = clip_tiny(32)
    tokenizer = caption_tokenizer()
    classifier = zero_shot_classifier(model, tokenizer, ["1", "2", "3"], ["a {}", "a large {}"])
    images = mc.randn(6, 3, 32, 32)
    with mc.no_grad():
        predicted = (model.encode_image(images, normalize=True) @ classifier).numpy().argmax(1)
    labels = np.array([predicted[0], predicted[1], (predicted[2] + 1) % 3, predicted[3],
                       (predicted[4] + 1) % 3, predicted[5]])
    assert zero_shot_accuracy(model, classifier, images, labels) == pytest.approx(4 / 6)
    with pytest.raises(ValueError, match="zero_shot_accuracy: 6 images but 2 labels"):
        zero_shot_accuracy(model, classifier, images, labels[:2])


def test_zero_shot_digit_accuracy_classifies_single_digit_canvases():
    mc.manual_seed(0)
    data = caption_pairs("test", 32, length=20, max_digits=1, seed=1)
    accuracy = zero_shot_digit_accuracy(clip_tiny(32), data, batch_size=8)
    assert 0.0 <= accuracy <= 1.0 and accuracy * 20 == pytest.approx(round(accuracy * 20))
