"""The settings of a training run: their defaults per model family, and the checks that
span several of them.

A setting given on the command line wins; the others take their family's default. The
resolved settings are what run.json keeps, so that a resumed run trains on exactly as it
began (only --epochs may change then, to extend it).
"""
import textwrap

from .errors import UsageError

# the flags of the settings that --resume takes from run.json, by setting name
SETTINGS = {"epochs": "--epochs", "batch_size": "--batch-size", "lr": "--lr",
            "optimizer": "--optimizer", "momentum": "--momentum",
            "weight_decay": "--weight-decay", "scheduler": "--scheduler",
            "warmup_epochs": "--warmup-epochs", "label_smoothing": "--label-smoothing",
            "grad_clip": "--grad-clip", "augment": "--augment", "seed": "--seed",
            "image_size": "--image-size", "variant": "--variant", "dataset": "--dataset",
            "scale_jitter": "--scale-jitter", "curriculum": "--curriculum"}

FAMILIES = {
    # LeNet-5 on digits: Adam with the 1cycle policy learns the bundled sample in a minute
    "lenet": dict(optimizer="adam", lr=3e-3, momentum=0.9, weight_decay=0.0,
                  scheduler="onecycle", warmup_epochs=0.0, label_smoothing=0.0,
                  grad_clip=0.0, epochs=12, batch_size=64),
    # networks without BatchNorm (AlexNet, ZF-Net, NiN, VGG): the papers' SGD at lr 0.01
    # leaves them at chance for epochs on small data; Adam at 3e-4 starts them at once
    "plain": dict(optimizer="adam", lr=3e-4, momentum=0.9, weight_decay=0.0,
                  scheduler="cosine", warmup_epochs=1.0, label_smoothing=0.0,
                  grad_clip=0.0, epochs=30, batch_size=64),
    # networks with BatchNorm (ResNet, DenseNet, Inception, MobileNet, VGG-BN ...): a
    # higher rate with a warmup epoch
    "batchnorm": dict(optimizer="sgd", lr=0.05, momentum=0.9, weight_decay=5e-4,
                      scheduler="cosine", warmup_epochs=1.0, label_smoothing=0.0,
                      grad_clip=0.0, epochs=30, batch_size=64),
    # ViT, DeiT and CLIP image towers: DeiT's recipe (AdamW, warmup, label smoothing) with
    # ViT's gradient clipping
    "transformer": dict(optimizer="adamw", lr=1e-3, momentum=0.9, weight_decay=0.05,
                        scheduler="cosine", warmup_epochs=5.0, label_smoothing=0.1,
                        grad_clip=1.0, epochs=50, batch_size=64),
    # CLIP trained contrastively on image–caption pairs: AdamW with a short warmup and
    # cosine decay (CLIP's recipe), clipped gradients; benchmarks/tonics.py trains alike
    "contrastive": dict(optimizer="adamw", lr=2e-3, momentum=0.9, weight_decay=0.1,
                        scheduler="cosine", warmup_epochs=0.4, label_smoothing=0.0,
                        grad_clip=1.0, epochs=8, batch_size=64),
}
# Inception-v3: the BatchNorm recipe with its paper's label smoothing of 0.1
FAMILIES["inception"] = dict(FAMILIES["batchnorm"], label_smoothing=0.1)
MEMBERS = {"lenet": "lenet5",
           "plain": "alexnet, zfnet, nin, vgg* without _bn",
           "batchnorm": "resnet*, resnext*, seresnet50, senet154, densenet*, googlenet, "
                        "inception_v2, inception_v4, inception_resnet*, mobilenet*, vgg*_bn",
           "transformer": "vit*, deit*, clip_rn50, clip_vit_b_32",
           "inception": "inception_v3",
           "contrastive": "clip_tiny"}
FIXED = {"dataset": "sample", "augment": True, "seed": 0, "image_size": None, "variant": None,
         "scale_jitter": None}
WARMUP_SHARE = 5            # a family's warmup is at most 1/WARMUP_SHARE of the epochs
WIDTH = 79                  # of the --help text


def _flag_lines(defaults, indent="    "):
    """The defaults as `--flag value` pairs, wrapped without splitting a pair."""
    lines = [indent]
    for key, value in defaults.items():
        pair = f"{SETTINGS[key]} {value:g}" if isinstance(value, float) else \
            f"{SETTINGS[key]} {value}"
        if len(lines[-1]) + len(pair) + 1 > WIDTH:
            lines.append(indent)
        lines[-1] += ("" if lines[-1] == indent else " ") + pair
    return lines


def families_help():
    """The --help text that lists each family's defaults as the flags they stand for."""
    lines = [textwrap.fill("defaults per model family (a flag given replaces its default; a "
                           f"family's warmup is at most 1/{WARMUP_SHARE} of --epochs, and 0 "
                           "with onecycle):", WIDTH)]
    for family, defaults in FAMILIES.items():
        lines.append(textwrap.fill(f"{family}: {MEMBERS[family]}", WIDTH, initial_indent="  ",
                                   subsequent_indent="    "))
        lines.extend(_flag_lines(defaults))
    return "\n".join(lines)


def resolve(family, given):
    """The settings of a new run: `given` (setting -> value, None where not given) over the
    family's defaults; a combination that cannot work is a UsageError."""
    settings = {**FAMILIES[family], **FIXED}
    settings.update({k: v for k, v in given.items() if v is not None})
    if given.get("warmup_epochs") is None:
        share = 0.0 if settings["scheduler"] == "onecycle" else \
            settings["epochs"] / WARMUP_SHARE
        settings["warmup_epochs"] = min(settings["warmup_epochs"], share)
    if settings["scheduler"] == "onecycle":
        for key in ("warmup_epochs", "momentum"):
            if given.get(key) is not None and (key == "momentum" or given[key] > 0):
                raise UsageError(f"{SETTINGS[key]} does not combine with --scheduler "
                                 f"onecycle, which warms up and cycles the momentum "
                                 f"(0.95 to 0.85) by itself")
    if settings["warmup_epochs"] >= settings["epochs"]:
        raise UsageError(f"--warmup-epochs {settings['warmup_epochs']:g} must be less than "
                         f"--epochs {settings['epochs']}")
    return settings
