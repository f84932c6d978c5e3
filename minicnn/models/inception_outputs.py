"""Training-mode outputs of the networks with auxiliary classifiers, and their loss.

GoogLeNet (Szegedy et al., "Going Deeper with Convolutions", 2014) and Inception-v3 (Szegedy et
al., "Rethinking the Inception Architecture for Computer Vision", 2015) return, in training mode
with aux_logits, named tuples as torchvision does: `GoogLeNetOutputs(logits, aux_logits2,
aux_logits1)` and `InceptionOutputs(logits, aux_logits)`. In eval mode they return the logits.

The GoogLeNet paper adds each auxiliary classifier's loss to the total with weight 0.3:

    loss = CE(logits, y) + aux_weight · Σ_aux CE(aux, y)
"""
from collections import namedtuple

from ..nn import functional as F

__all__ = ["GoogLeNetOutputs", "InceptionOutputs", "inception_loss"]

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
InceptionOutputs = namedtuple("InceptionOutputs", ["logits", "aux_logits"])


def inception_loss(outputs, target, aux_weight=0.3, label_smoothing=0.0):
    """Cross-entropy of the main logits plus aux_weight × the cross-entropy of each auxiliary
    output (None entries skipped); a plain logits tensor gives the plain cross-entropy. Each
    term uses `label_smoothing` (Inception-v3's regulariser)."""
    if not aux_weight >= 0:
        raise ValueError(f"inception_loss: aux_weight must be >= 0, got {aux_weight!r}")
    if not isinstance(outputs, tuple):
        return F.cross_entropy(outputs, target, label_smoothing=label_smoothing)
    logits, *auxiliary = outputs
    loss = F.cross_entropy(logits, target, label_smoothing=label_smoothing)
    for aux in auxiliary:
        if aux is not None:
            loss = loss + aux_weight * F.cross_entropy(aux, target,
                                                       label_smoothing=label_smoothing)
    return loss
