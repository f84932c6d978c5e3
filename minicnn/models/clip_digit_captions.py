"""CLIP on DigitCaptions, the recipe behind `minicnn train clip_tiny --dataset digit-captions`
and `python -m benchmarks.tonics`: the image–caption pairs as tensors, their minibatches in
random order or in TOnICS's curriculum, and the evaluation of a CLIP model on them.

- Images are the canvases scaled to [0, 1], normalised with MNIST's mean and deviation and
  repeated into 3 channels; captions are token ids of `caption_tokenizer()` (caption_bpe.py).
- Curricula: "random" draws shuffled minibatches every epoch (CLIP's own sampling);
  "tonics" draws them with TOnICSBatchSampler (phase 1 random until `phase_switch`, then
  every minibatch shows one shared digit, so that the captions must be told apart by the
  other digits, the sizes and the left/right order).
- Evaluation: image→text and text→image recall@k over a split's pairs
  (mc.train.retrieval), and zero-shot classification of single-digit canvases by prompt
  ensembling over ZERO_SHOT_TEMPLATES (zero_shot.py).
"""
import numpy as np

from ..creation import tensor
from ..data import DataLoader, DigitCaptions, TOnICSBatchSampler
from ..grad_mode import no_grad
from ..train.retrieval import retrieval_recalls
from .caption_bpe import caption_tokenizer
from .clip_contrastive import collate_pairs
from .zero_shot import zero_shot_accuracy, zero_shot_classifier

__all__ = ["CURRICULA", "ZERO_SHOT_TEMPLATES", "caption_pairs", "image_tensor",
           "pair_loader", "retrieval_scores", "tonics_switch", "zero_shot_digit_accuracy"]

CURRICULA = ("random", "tonics")
ZERO_SHOT_TEMPLATES = ("a photo of the digit {}", "a picture of a small {}",
                       "a picture of a medium {}", "a picture of a large {}")
MEAN, STD = 0.1307, 0.3081
DIGITS = [str(d) for d in range(10)]


def image_tensor(image):
    """A (S, S) uint8 canvas as the (3, S, S) float32 Tensor a CLIP image tower takes."""
    scaled = (np.asarray(image, dtype=np.float32) / 255.0 - MEAN) / STD
    return tensor(np.repeat(scaled[None], 3, axis=0))


def caption_pairs(split, size, length=None, max_digits=3, seed=0, tokenizer=None):
    """DigitCaptions of `split` on size×size canvases, yielding (image_tensor, token ids)."""
    return DigitCaptions(split, size=size, seed=seed, length=length, max_digits=max_digits,
                         transform=image_tensor, tokenizer=tokenizer or caption_tokenizer())


def tonics_switch(epochs):
    """The epoch from which a TOnICS run of `epochs` epochs draws one shared digit per
    minibatch: half-way (at least after one random epoch)."""
    return max(1, epochs // 2)


def pair_loader(dataset, batch_size, curriculum=None, seed=0, phase_switch=1, num_workers=0,
                shuffle=False):
    """A DataLoader of (ImageTextBatch, targets) batches: for evaluation (curriculum None)
    in dataset order, or shuffled with shuffle=True (a sample of the first batches); for
    training shuffled ("random", full batches only) or TOnICS-ordered
    ("tonics", random until epoch `phase_switch`, then one shared digit per batch)."""
    common = dict(collate_fn=collate_pairs, num_workers=num_workers)
    if curriculum is None:
        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, seed=seed, **common)
    if curriculum == "random":
        return DataLoader(dataset, batch_size=batch_size, shuffle=True, seed=seed,
                          drop_last=True, **common)
    if curriculum == "tonics":
        sampler = TOnICSBatchSampler(dataset.entity_sets, batch_size, phase_switch=phase_switch,
                                     seed=seed)
        return DataLoader(dataset, batch_sampler=sampler, **common)
    raise ValueError(f"pair_loader: curriculum must be None or one of {CURRICULA}, got "
                     f"{curriculum!r}")


def _eval_mode(model):
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    return modes


def _restore(modes):
    for module, mode in modes:
        module.training = mode


def retrieval_scores(clip, dataset, ks=(1, 5), batch_size=250):
    """Image→text and text→image recall@k of `clip` over every pair of `dataset` (a
    `caption_pairs` set), in eval mode and without grad."""
    modes = _eval_mode(clip)
    images, texts = [], []
    try:
        with no_grad():
            for batch, _ in pair_loader(dataset, batch_size):
                images.append(clip.encode_image(batch.images, normalize=True).numpy())
                texts.append(clip.encode_text(batch.tokens, normalize=True).numpy())
    finally:
        _restore(modes)
    return retrieval_recalls(np.concatenate(images), np.concatenate(texts), ks)


def zero_shot_digit_accuracy(clip, dataset, templates=ZERO_SHOT_TEMPLATES, batch_size=250):
    """Zero-shot accuracy of `clip` on the canvases of `dataset` (`caption_pairs` with
    max_digits=1), classes "0" … "9" named in `templates`, prompt-ensembled."""
    tokenizer = dataset.tokenizer
    modes = _eval_mode(clip)
    correct = 0
    try:
        classifier = zero_shot_classifier(clip, tokenizer, DIGITS, templates)
        for start in range(0, len(dataset), batch_size):
            indices = range(start, min(start + batch_size, len(dataset)))
            images = tensor(np.stack([dataset.transform(dataset.image(i)).numpy()
                                      for i in indices]))
            labels = np.array([dataset.entities(i)["digits"][0] for i in indices])
            correct += zero_shot_accuracy(clip, classifier, images, labels) * len(indices)
    finally:
        _restore(modes)
    return correct / len(dataset)
