"""A CLIP model trained contrastively by `mc.train.fit`, which feeds a model one input and
one target per batch: the input is an ImageTextBatch (the batch's images and their
captions' token ids), the target the index of each image's caption in the batch (0 … N−1),
and the model's output a ContrastiveOutput whose first field, the (N, N) image→text
logits, is what fit counts its accuracy on (the share of images whose own caption scores
highest in the batch)."""
from collections import namedtuple

from .. import nn
from ..creation import arange
from ..data.dataloader import default_collate
from .clip import clip_loss

__all__ = ["ContrastiveCLIP", "ContrastiveOutput", "ImageTextBatch", "collate_pairs",
           "contrastive_loss"]

ContrastiveOutput = namedtuple("ContrastiveOutput", ["logits_per_image", "image_features",
                                                     "text_features", "logit_scale"])


class ImageTextBatch:
    """`images` (N, 3, S, S) and `tokens` (N, L) of N image–caption pairs; `to(device)`
    moves both, as fit moves a batch's inputs."""

    def __init__(self, images, tokens):
        if images.shape[0] != tokens.shape[0]:
            raise ValueError(f"ImageTextBatch: {images.shape[0]} images but {tokens.shape[0]} "
                             f"token rows")
        self.images, self.tokens = images, tokens

    def __len__(self):
        return self.images.shape[0]

    def to(self, device):
        return ImageTextBatch(self.images.to(device), self.tokens.to(device))


def collate_pairs(samples):
    """DataLoader's collate_fn for (image, token ids) samples: (ImageTextBatch, targets
    0 … N−1)."""
    images, tokens = default_collate(samples)
    return ImageTextBatch(images, tokens), arange(len(samples))


class ContrastiveCLIP(nn.Module):
    """ContrastiveCLIP(clip): forward(ImageTextBatch) -> ContrastiveOutput(logits_per_image
    = exp(logit_scale) · unit image features · unit text featuresᵀ, the unit features, the
    exp(logit_scale)). The CLIP model is its `clip` attribute."""

    def __init__(self, clip):
        super().__init__()
        self.clip = clip
        self.input_size = clip.input_size

    def forward(self, batch):
        image_features, text_features, scale = self.clip(batch.images, batch.tokens)
        return ContrastiveOutput(scale * (image_features @ text_features.T), image_features,
                                 text_features, scale)


def contrastive_loss(outputs, targets=None):
    """clip_loss of a ContrastiveOutput (the targets are the diagonal, as clip_loss takes)."""
    return clip_loss(outputs.image_features, outputs.text_features, outputs.logit_scale)
