"""A tiny CLIP trains on DigitCaptions batches from TOnICSBatchSampler: the images and the
CLIP-tokenized captions fit the towers, and a few steps of clip_loss on one phase-2 batch
(every pair shows the same digit) lower the loss."""
import gzip

import numpy as np

import minicnn as mc
from minicnn import optim
from minicnn.data import DataLoader, DigitCaptions, TOnICSBatchSampler
from minicnn.models import CLIP, SimpleTokenizer
from minicnn.models.clip import clip_loss

CONTEXT = 96    # a byte-level vocabulary needs about one id per character of a caption


def byte_tokenizer(path):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
    return SimpleTokenizer(str(path), context_length=CONTEXT)


def rgb(image):
    return np.repeat(image[None].astype(np.float32) / 255.0, 3, axis=0)


def test_clip_loss_falls_on_a_phase_two_batch(tmp_path):
    tokenizer = byte_tokenizer(tmp_path / "bytes.txt.gz")
    data = DigitCaptions("train", size=32, length=64, transform=rgb, tokenizer=tokenizer)
    sampler = TOnICSBatchSampler(data.entity_sets, 8, phase_switch=1, seed=0)
    sampler.set_epoch(1)
    images, texts = next(iter(DataLoader(data, batch_sampler=sampler)))
    assert images.shape == (len(texts), 3, 32, 32) and texts.shape[1] == CONTEXT
    mc.manual_seed(0)
    model = CLIP(16, dict(layers=2, width=32, head_width=16, patch_size=8, image_size=32),
                 dict(context_length=CONTEXT, vocab_size=tokenizer.vocab_size, width=32,
                      heads=4, layers=2))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(5):
        image_features, text_features, scale = model(images, texts)
        loss = clip_loss(image_features, text_features, scale)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
