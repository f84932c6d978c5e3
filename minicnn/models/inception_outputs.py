"""Training-mode outputs of the networks with auxiliary classifiers, and their loss.

GoogLeNet (Szegedy et al., "Going Deeper with Convolutions", 2014) and Inception-v3 (Szegedy et
al., "Rethinking the Inception Architecture for Computer Vision", 2015) return, in training mode
with aux_logits, named tuples as torchvision does: `GoogLeNetOutputs(logits, aux_logits2,
aux_logits1)` and `InceptionOutputs(logits, aux_logits)`. In eval mode they return the logits,
so evaluation and prediction see the main head only.

Each auxiliary classifier's loss is added to the total with a weight:

    loss = CE(logits, y) + aux_weight · Σ_aux CE(aux, y)

The GoogLeNet paper weights each of its two auxiliary classifiers by 0.3. The Inception-v3
paper gives no number; its authors' training code (TensorFlow models, slim's
train_image_classifier.py) weights its one auxiliary classifier by 0.4 and smooths the labels
of both terms, as torchvision's fine-tuning tutorial does too. These are the defaults of
`inception_loss`, chosen from the type of the outputs.
"""
from collections import namedtuple

from ..nn import functional as F

__all__ = ["AUX_WEIGHTS", "GoogLeNetOutputs", "InceptionOutputs", "inception_loss",
           "paper_aux_weight"]

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
InceptionOutputs = namedtuple("InceptionOutputs", ["logits", "aux_logits"])

# the weight of each auxiliary term, by the type of the outputs that carry it
AUX_WEIGHTS = {GoogLeNetOutputs: 0.3, InceptionOutputs: 0.4}


def paper_aux_weight(outputs):
    """The published weight of each auxiliary term of `outputs`: 0.3 for GoogLeNet's, 0.4 for
    Inception-v3's, and GoogLeNet's 0.3 for any other tuple (logits, aux...)."""
    return AUX_WEIGHTS.get(type(outputs), AUX_WEIGHTS[GoogLeNetOutputs])


def inception_loss(outputs, target, aux_weight=None, label_smoothing=0.0):
    """Cross-entropy of the main logits plus aux_weight × the cross-entropy of each auxiliary
    output (None entries skipped); a plain logits tensor gives the plain cross-entropy.
    `aux_weight` None takes the papers' weight for the outputs (`paper_aux_weight`). Each
    term, auxiliary ones included, uses `label_smoothing` (Inception-v3's regulariser)."""
    if aux_weight is not None and not aux_weight >= 0:
        raise ValueError(f"inception_loss: aux_weight must be >= 0, got {aux_weight!r}")
    if not isinstance(outputs, tuple):
        return F.cross_entropy(outputs, target, label_smoothing=label_smoothing)
    weight = paper_aux_weight(outputs) if aux_weight is None else aux_weight
    logits, *auxiliary = outputs
    loss = F.cross_entropy(logits, target, label_smoothing=label_smoothing)
    for aux in auxiliary:
        if aux is not None:
            loss = loss + weight * F.cross_entropy(aux, target, label_smoothing=label_smoothing)
    return loss
