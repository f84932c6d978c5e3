"""Zero-shot classification with CLIP (Radford et al., 2021, §3.1.4, prompt ensembling), as
open_clip's `build_zero_shot_classifier`: each class is the renormalised mean of the unit text
embeddings of its prompts ("a photo of a {}.", ...); an image's logits are its unit embedding
against those class vectors, scaled by the model's temperature."""
import numpy as np

from .. import functional as F
from ..grad_mode import no_grad
from .clip import l2_normalize

__all__ = ["zero_shot_accuracy", "zero_shot_classifier", "zero_shot_logits", "zero_shot_probs"]


def _fill(template, classname):
    return template.format(classname) if isinstance(template, str) else template(classname)


def zero_shot_classifier(model, tokenizer, classnames, templates, num_classes_per_batch=10):
    """(embed_dim, num_classes) weights: per class, encode every template filled with the
    class name (format() strings or callables), normalise, average, renormalise. Classes are
    encoded `num_classes_per_batch` at a time (all at once with None); no graph is kept."""
    if isinstance(classnames, str) or not classnames:
        raise ValueError(f"zero_shot_classifier: classnames must be a non-empty sequence of "
                         f"names, got {classnames!r}")
    if isinstance(templates, str) or not templates:
        raise ValueError(f"zero_shot_classifier: templates must be a non-empty sequence of "
                         f"format strings or callables, got {templates!r}")
    if num_classes_per_batch is not None and (isinstance(num_classes_per_batch, bool) or
                                              not isinstance(num_classes_per_batch, int) or
                                              num_classes_per_batch < 1):
        raise ValueError(f"zero_shot_classifier: num_classes_per_batch must be a positive "
                         f"integer or None, got {num_classes_per_batch!r}")
    classnames, templates = list(classnames), list(templates)
    step = num_classes_per_batch or len(classnames)
    columns = []
    with no_grad():
        for start in range(0, len(classnames), step):
            batch = classnames[start:start + step]
            texts = [_fill(template, name) for name in batch for template in templates]
            features = model.encode_text(tokenizer(texts), normalize=True)  # (B·T, D)
            features = F.reshape(features, (len(batch), len(templates), -1))
            columns.append(l2_normalize(F.mean(features, dim=1)).T)  # (D, B)
        return F.cat(columns, dim=1)                                  # (D, num_classes)


def zero_shot_logits(model, images, classifier, logit_scale=None):
    """(N, num_classes) logits = logit_scale · unit image embeddings @ classifier;
    logit_scale defaults to the model's exp(logit_scale) (100 for trained CLIP models)."""
    if classifier.ndim != 2 or classifier.shape[0] != model.embed_dim:
        raise ValueError(f"zero_shot_logits: classifier must have shape (embed_dim="
                         f"{model.embed_dim}, num_classes), got {tuple(classifier.shape)}")
    scale = model.temperature() if logit_scale is None else logit_scale
    return scale * (model.encode_image(images, normalize=True) @ classifier)


def zero_shot_probs(model, images, classifier, logit_scale=None):
    """(N, num_classes) class probabilities: softmax of `zero_shot_logits`."""
    return F.softmax(zero_shot_logits(model, images, classifier, logit_scale), dim=-1)


def zero_shot_accuracy(model, classifier, images, labels):
    """The share of `images` whose zero-shot class (the largest of `zero_shot_logits`) is
    their label (`labels`: N class indices, an array, list or Tensor); no graph is kept."""
    labels = np.asarray(labels.numpy() if hasattr(labels, "numpy") else labels).reshape(-1)
    if len(labels) != images.shape[0]:
        raise ValueError(f"zero_shot_accuracy: {images.shape[0]} images but {len(labels)} "
                         f"labels")
    with no_grad():
        logits = zero_shot_logits(model, images, classifier).numpy()
    return float((logits.argmax(axis=1) == labels).mean())
