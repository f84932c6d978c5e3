"""DeiT's distillation objectives (Touvron et al., 2021, "Training data-efficient image
transformers & distillation through attention", §4, eq. 2 and 3), with Zs the student's logits,
Zt the teacher's, y the labels, ψ the softmax:

    soft:  L = (1 − α)·CE(ψ(Zs), y) + α·τ²·KL(ψ(Zt/τ) ‖ ψ(Zs/τ))          (KL averaged over N)
    hard:  L = ½·CE(ψ(Zs), y) + ½·CE(ψ(Zs), argmax_c Zt)

The student logits are one (N, C) tensor, or the (class-token logits, distillation-token logits)
pair that a distilled DeiT returns in training: then the class-token logits take the
cross-entropy to the labels and the distillation-token logits the teacher term, as DeiT trains.
The teacher is fixed: no gradient reaches teacher_logits. `target` is anything
cross_entropy takes (class indices, or class probabilities after mixup).

The KL term is the per-sample divergence of eq. 2 averaged over the batch ('batchmean');
DeiT's released code divides the summed KL by N·C instead, i.e. it is this term over C.
"""
from .. import functional as F
from ..tensor import Tensor


def _split(op, student_logits, teacher_logits):
    """(logits for the label term, logits for the teacher term, teacher logits detached)."""
    if isinstance(student_logits, (tuple, list)):
        if len(student_logits) != 2:
            raise ValueError(f"{op}: student_logits must be a tensor or a (class, distillation) "
                             f"pair of tensors, got a sequence of {len(student_logits)}")
        cls_logits, dist_logits = student_logits
    else:
        cls_logits = dist_logits = student_logits
    for name, t in (("student_logits", cls_logits), ("student_logits", dist_logits),
                    ("teacher_logits", teacher_logits)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if not (cls_logits.ndim == 2 and cls_logits.shape == dist_logits.shape
            == teacher_logits.shape):
        raise ValueError(f"{op}: student and teacher logits must share one (N, C) shape, got "
                         f"student {tuple(cls_logits.shape)}, {tuple(dist_logits.shape)} and "
                         f"teacher {tuple(teacher_logits.shape)}")
    return cls_logits, dist_logits, teacher_logits.detach()


def soft_distillation_loss(student_logits, teacher_logits, target, alpha=0.5, tau=1.0,
                           label_smoothing=0.0):
    """(1 − α)·CE(Zs_cls, y) + α·τ²·KL(softmax(Zt/τ) ‖ softmax(Zs_dist/τ)), KL summed over
    classes and averaged over the batch ('batchmean'); a scalar. label_smoothing applies to
    the label term, as DeiT smooths the true labels (ε = 0.1 in the paper)."""
    op = "soft_distillation_loss"
    if not 0 <= alpha <= 1:
        raise ValueError(f"{op}: alpha must be in [0, 1], got {alpha!r}")
    if not tau > 0:
        raise ValueError(f"{op}: tau must be positive, got {tau!r}")
    cls_logits, dist_logits, teacher = _split(op, student_logits, teacher_logits)
    label_term = F.cross_entropy(cls_logits, target, label_smoothing=label_smoothing)
    kl = F.kl_div(F.log_softmax(dist_logits / tau, dim=1), F.log_softmax(teacher / tau, dim=1),
                  reduction="batchmean", log_target=True)
    return (1 - alpha) * label_term + (alpha * tau * tau) * kl


def hard_distillation_loss(student_logits, teacher_logits, target, label_smoothing=0.0):
    """½·CE(Zs_cls, y) + ½·CE(Zs_dist, argmax Zt): the teacher's hard decision as a second
    label; a scalar. label_smoothing applies to the label term only: DeiT smooths the true
    labels and keeps the teacher's decision hard."""
    cls_logits, dist_logits, teacher = _split("hard_distillation_loss", student_logits,
                                              teacher_logits)
    teacher_labels = F.argmax(teacher, dim=1)                  # (N,)
    return 0.5 * F.cross_entropy(cls_logits, target, label_smoothing=label_smoothing) + \
        0.5 * F.cross_entropy(dist_logits, teacher_labels)
