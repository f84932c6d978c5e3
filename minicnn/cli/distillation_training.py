"""`minicnn train DEIT --teacher RUN_DIR --distill hard|soft`: DeiT's distillation through
attention (Touvron et al., 2021, "Training data-efficient image transformers & distillation
through attention", §4) from the command line.

The student is the named DeiT with a distillation token (deit_tiny_patch16_224 trains as
deit_tiny_distilled_patch16_224): its class token learns the labels and its distillation
token the teacher, a network trained by an earlier `minicnn train` run. The teacher is
frozen: loaded with that run's latest weights, in eval mode, without gradients, fed the
student's batch (resized to the side it was trained at, grayscale repeated into three
channels for a teacher that takes three). The objectives are mc.models'
hard_distillation_loss (the teacher's argmax as a second label; the paper's best) and
soft_distillation_loss (KL at temperature tau, weight alpha; the paper's tau = 3, lambda =
0.1), with the run's label smoothing on the label term. Evaluation and prediction use the
mean of the two heads' logits, as DeiT's distilled model does in eval mode.

run.json keeps the teacher's folder and the mode under "distillation", so `--resume` loads
the teacher again and `minicnn evaluate` rebuilds the student.
"""
import os
from collections import namedtuple
from functools import partial

from .. import functional as F
from ..grad_mode import no_grad
from ..models import hard_distillation_loss, soft_distillation_loss
from . import zoo
from .arg_types import float_in, positive_float
from .errors import UsageError
from .saved_run import load_run

MODES = ("hard", "soft")
DEFAULT_MODE = "hard"        # DeiT's best: the teacher's argmax as a second label
PAPER_TAU, PAPER_ALPHA = 3.0, 0.1
FLAGS = {"teacher": "--teacher", "distill": "--distill", "distill_tau": "--distill-tau",
         "distill_alpha": "--distill-alpha"}

# a distilled student's training output with its teacher's logits: `logits` (the heads'
# mean, what the accuracy counts) first, as fit counts a tuple's first element
DistillationOutputs = namedtuple("DistillationOutputs",
                                 ["logits", "cls_logits", "dist_logits", "teacher_logits"])


def add_arguments(parser):
    """The `distillation` argument group of `minicnn train`."""
    group = parser.add_argument_group("distillation (DeiT)")
    group.add_argument("--teacher", metavar="RUN_DIR",
                       help="distil from the network trained in RUN_DIR (a run folder of "
                            "minicnn train, on the same classes) into a DeiT student with a "
                            "distillation token")
    group.add_argument("--distill", choices=MODES,
                       help=f"hard: the teacher's predicted class is the distillation head's "
                            f"label; soft: KL to the teacher's softened output (default with "
                            f"--teacher: {DEFAULT_MODE})")
    group.add_argument("--distill-tau", type=positive_float, metavar="TAU",
                       help=f"soft distillation's temperature (default: {PAPER_TAU:g}, the "
                            f"paper's)")
    group.add_argument("--distill-alpha", type=float_in(0.0, 1.0, high_open=False),
                       metavar="LAMBDA",
                       help=f"soft distillation's weight of the KL term, in [0, 1] (default: "
                            f"{PAPER_ALPHA:g}, the paper's)")


def given_flags(args):
    """The distillation flags given on the command line (for --resume to refuse)."""
    return [flag for key, flag in FLAGS.items() if getattr(args, key) is not None]


def _distilled_name(name):
    """The zoo name of the DeiT `name` with a distillation token (a distilled one's own), or
    None for a model that is no DeiT."""
    if not name.startswith("deit_"):
        return None
    return name if "_distilled_" in name else name.replace("_patch16", "_distilled_patch16")


def student_entry(args, entry):
    """The zoo model that trains: `entry`, or with --teacher its DeiT with a distillation
    token; a UsageError for distillation flags that do not fit together or the model."""
    if args.teacher is None:
        if given_flags(args):
            raise UsageError(f"{given_flags(args)[0]} needs --teacher RUN_DIR, the run of the "
                             f"trained network to distil from")
        return entry
    mode = args.distill or DEFAULT_MODE
    if mode == "hard" and (args.distill_tau is not None or args.distill_alpha is not None):
        flag = "--distill-tau" if args.distill_tau is not None else "--distill-alpha"
        raise UsageError(f"{flag} sets soft distillation; it does not combine with --distill "
                         f"hard")
    if entry.rule.output == "distilled":
        return entry
    catalog = zoo.catalog()
    name = _distilled_name(entry.name)
    if name not in catalog:
        students = [n for n in catalog if _distilled_name(n) in catalog]
        raise UsageError(f"--teacher: {entry.name} has no distillation token; the student "
                         f"is a DeiT: {', '.join(students)}")
    return catalog[name]


def _check_teacher(flag, path, teacher, classes, channels):
    """A UsageError unless the teacher run `teacher` (a SavedRun) knows `classes` and takes
    at least the student's `channels` (grayscale is repeated for a teacher that takes 3)."""
    known = teacher.record["data"].get("classes", [])
    if known != list(classes):
        raise UsageError(f"{flag} {path}: the teacher {teacher.entry.name} knows the classes "
                         f"({', '.join(map(str, known))}), the student learns "
                         f"({', '.join(map(str, classes))})")
    if teacher.input_size[0] < channels:
        raise UsageError(f"{flag} {path}: the teacher takes {teacher.input_size[0]} "
                         f"channel(s), the student's images have {channels}")


def record(args, source):
    """The "distillation" entry of a new run's run.json, or None without --teacher: the
    teacher's folder, its model and the mode (with tau and alpha for soft); a missing or
    unreadable teacher run, or one on other classes, is a UsageError."""
    if args.teacher is None:
        return None
    teacher = load_run(args.teacher, "--teacher")          # its weights load, or a UsageError
    _check_teacher("--teacher", args.teacher, teacher, source.classes, source.channels)
    mode = args.distill or DEFAULT_MODE
    entry = {"teacher": os.path.abspath(teacher.folder), "teacher_model": teacher.entry.name,
             "mode": mode}
    if mode == "soft":
        entry.update(tau=args.distill_tau or PAPER_TAU,
                     alpha=PAPER_ALPHA if args.distill_alpha is None else args.distill_alpha)
    return entry


def describe(distillation):
    """One line on what the student learns from."""
    extra = f" (tau {distillation['tau']:g}, alpha {distillation['alpha']:g})" \
        if distillation["mode"] == "soft" else ""
    return (f"distillation: {distillation['mode']}{extra}, from the teacher "
            f"{distillation['teacher_model']} of {distillation['teacher']}")


class FrozenTeacher:
    """A trained network that gives logits and never learns: eval mode, no gradients, its
    input fitted to the side and channels it was trained on."""

    def __init__(self, model, input_size, device):
        self.model = model.to(device)
        self.model.eval()
        self.model.requires_grad_(False)
        self.channels, self.size, _ = input_size

    def __call__(self, inputs):                               # (N, C, H, W), the student's
        with no_grad():
            if inputs.shape[1] != self.channels:              # grayscale to three channels
                inputs = inputs.expand(-1, self.channels, -1, -1)
            if inputs.shape[2] != self.size:
                inputs = F.interpolate(inputs, size=(self.size, self.size), mode="bilinear",
                                       align_corners=False)
            return self.model(inputs).detach()                # (N, classes)


def load_teacher(distillation, classes, channels, device):
    """The FrozenTeacher of a run's "distillation" entry, for a student on `classes` that
    takes `channels` channels; a UsageError for a teacher run that is gone, unreadable or
    does not fit."""
    folder = distillation["teacher"]
    saved = load_run(folder, "--teacher")
    _check_teacher("--teacher", folder, saved, classes, channels)
    return FrozenTeacher(saved.model, saved.input_size, device)


def attach_teacher(student, teacher):
    """Make the student's training-mode output a DistillationOutputs with the teacher's
    logits on the same batch (a forward hook; in eval mode the output stays the heads'
    mean). The teacher is no submodule: the student's state_dict, parameters and modes
    stay its own."""
    student.set_distilled_training(True)

    def with_teacher(module, args, output):
        if isinstance(output, tuple):                         # (class, distillation) logits
            cls_logits, dist_logits = output
            return DistillationOutputs((cls_logits + dist_logits) / 2, cls_logits,
                                       dist_logits, teacher(args[0]))
        return None

    return student.register_forward_hook(with_teacher)


def _loss(outputs, targets, distillation, label_smoothing):
    if not isinstance(outputs, DistillationOutputs):          # eval: the heads' mean
        return F.cross_entropy(outputs, targets, label_smoothing=label_smoothing)
    student = (outputs.cls_logits, outputs.dist_logits)
    if distillation["mode"] == "hard":
        return hard_distillation_loss(student, outputs.teacher_logits, targets,
                                      label_smoothing=label_smoothing)
    return soft_distillation_loss(student, outputs.teacher_logits, targets,
                                  alpha=distillation["alpha"], tau=distillation["tau"],
                                  label_smoothing=label_smoothing)


def prepare(student, record, device):
    """Load the teacher of the run `record` (its run.json) on `device`, attach it to the
    student, and return loss_fn(outputs, targets) for fit: the distillation objective on a
    training output, cross-entropy on the heads' mean in evaluation."""
    distillation = record["distillation"]
    teacher = load_teacher(distillation, record["data"]["classes"], record["input_size"][0],
                           device)
    attach_teacher(student, teacher)
    return partial(_loss, distillation=distillation,
                   label_smoothing=record["settings"]["label_smoothing"])
