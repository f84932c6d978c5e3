"""A CLIP model as an image classifier: its image tower followed by a linear head.

`minicnn train clip_rn50` trains this: the image tower (`visual`, with open_clip's keys, so
a CLIP checkpoint's image weights load into it) maps (N, 3, S, S) images to embed_dim
features and `head` maps those to class logits; the text tower is not used and not kept.
"""
from .. import nn

__all__ = ["CLIPImageClassifier"]


class CLIPImageClassifier(nn.Module):
    """CLIPImageClassifier(clip_model, num_classes): logits = head(clip_model.visual(x))."""

    def __init__(self, clip_model, num_classes):
        super().__init__()
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) \
                or num_classes < 1:
            raise ValueError(f"CLIPImageClassifier: num_classes must be a positive integer, "
                             f"got {num_classes!r}")
        self.input_size = clip_model.input_size
        self.visual = clip_model.visual
        self.head = nn.Linear(clip_model.embed_dim, num_classes)

    def forward(self, x):
        return self.head(self.visual(x))
