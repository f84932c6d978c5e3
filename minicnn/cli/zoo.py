"""The models `minicnn train` builds: every constructor of minicnn.models that needs no
argument, with what the command must know to fit it to a dataset.

Each constructor matches one rule of RULES, which says its family (whose training defaults
live in train_settings.py), its native input side, its minimum side, whether sides must be a
multiple of a patch size, which constructor arguments set the input side and channels, and
what its training-mode output is. The minimum is 32 (the data's own side) for a model that
trains at 32; for the others it is the smallest side at which a training and an evaluation
forward pass work (measured: at one pixel less they do not), per variant where a variant's
differs (AlexNet's paper variant). The outputs:

- "logits": a (N, classes) tensor;
- "aux": named tuples with auxiliary logits in training (GoogLeNet, Inception-v3), trained
  with inception_loss and its papers' weights; Inception-v3's auxiliary head needs 299×299
  inputs in training, so below that side it is built without one (aux_logits=False);
- "distilled": a DeiT with a distillation head, trained without a teacher (the two heads'
  mean, `set_distilled_training(False)`), or with --teacher against one
  (distillation_training.py);
- "clip": a CLIP model, trained as CLIPImageClassifier (its image tower and a linear head),
  or contrastively on image–caption pairs (clip_training.py);
- "contrastive": a CLIP model that trains contrastively on image–caption pairs only
  (clip_tiny, built for the shipped caption vocabulary).

A model without a channels argument takes 3 channels: grayscale data is repeated into them.
"""
import difflib
import inspect
import re
import sys
from dataclasses import dataclass

from .. import models
from ..models import CLIPImageClassifier
from .errors import UsageError


@dataclass(frozen=True)
class Rule:
    pattern: str
    family: str
    native: int
    minimum: int
    multiple: int = 1
    size_arg: str = None
    channels_arg: str = None
    output: str = "logits"
    fixed: bool = False           # takes its native side only
    aux_side: int = None          # below this side the auxiliary classifier is left out
    variant_minimum: tuple = ()   # (variant, minimum side) where a variant's differs


RULES = (
    Rule(r"lenet5", "lenet", 32, 32, channels_arg="in_channels", fixed=True),
    Rule(r"alexnet", "plain", 224, 63, variant_minimum=(("paper", 67),)),
    Rule(r"zfnet", "plain", 224, 47),
    Rule(r"nin", "plain", 224, 39),
    Rule(r"vgg\d+(_lrn|_c)?", "plain", 224, 32),
    Rule(r"vgg\d+_bn", "batchnorm", 224, 32),
    Rule(r"googlenet", "batchnorm", 224, 32, output="aux"),
    Rule(r"inception_v2", "batchnorm", 224, 32),
    Rule(r"inception_v3", "inception", 299, 75, output="aux", aux_side=299),
    Rule(r"inception_v4|inception_resnet_v[12]", "batchnorm", 299, 75, channels_arg="in_chans"),
    Rule(r"resnet_cifar", "batchnorm", 32, 8),
    Rule(r"resnet\d+|resnext.*|resnetv2_50|seresnet50|senet154", "batchnorm", 224, 32),
    Rule(r"densenet\d+", "batchnorm", 224, 32),
    Rule(r"mobilenet_v[12]", "batchnorm", 224, 32),
    Rule(r"vit_b_16", "transformer", 224, 16, 16, size_arg="image_size"),
    Rule(r"vit_b_32", "transformer", 224, 32, 32, size_arg="image_size"),
    Rule(r"(deit|vit)_\w+_distilled_patch16_224", "transformer", 224, 16, 16,
         size_arg="img_size", channels_arg="in_chans", output="distilled"),
    Rule(r"(deit|vit)_\w+_patch16_224", "transformer", 224, 16, 16, size_arg="img_size",
         channels_arg="in_chans"),
    Rule(r"clip_rn50|clip_vit_b_32", "transformer", 224, 32, 32, size_arg="image_size",
         output="clip"),
    Rule(r"clip_tiny", "contrastive", 48, 32, 8, size_arg="image_size", output="contrastive"),
)


@dataclass(frozen=True)
class ZooModel:
    """A zoo constructor and the rule that describes it."""
    name: str
    constructor: object
    rule: Rule

    @property
    def family(self):
        return self.rule.family

    @property
    def native_channels(self):
        return 1 if self.rule.fixed and self.rule.channels_arg else 3

    @property
    def variants(self):
        """The values its `variant` argument takes (its module's VARIANTS), or ()."""
        if "variant" not in inspect.signature(self.constructor).parameters:
            return ()
        return tuple(sys.modules[self.constructor.__module__].VARIANTS)

    @property
    def signature(self):
        return f"{self.name}{inspect.signature(self.constructor)}"

    @property
    def description(self):
        """The first sentence of the constructor's docstring, on one line."""
        paragraph = (inspect.getdoc(self.constructor) or "").split("\n\n")[0]
        text = " ".join(paragraph.split())
        end = re.search(r"\.(\s|$)", text)
        return text[:end.start() + 1] if end else text

    def check_variant(self, variant):
        """A UsageError unless `variant` is None or one of the model's variants."""
        if variant is not None and variant not in self.variants:
            raise UsageError(f"--variant {variant}: {self.name} has "
                             + (f"the variants {', '.join(self.variants)}" if self.variants
                                else "no variants"))

    def channels_for(self, data_channels):
        """The input channels it is built for, given the data's."""
        return data_channels if self.rule.channels_arg else 3

    def minimum(self, variant=None):
        """The smallest side it trains from, for `variant` (None: the default one)."""
        return dict(self.rule.variant_minimum).get(variant, self.rule.minimum)

    def check_size(self, size, given=None, variant=None):
        """A UsageError unless the model (of `variant`) takes size × size inputs; `given` is
        how the message names the value (default: --image-size SIZE)."""
        rule, given = self.rule, given or f"--image-size {size}"
        if rule.fixed and size != rule.native:
            raise UsageError(f"{given}: {self.name} takes {rule.native}×{rule.native} inputs "
                             f"only")
        minimum = self.minimum(variant)
        if size < minimum or size % rule.multiple:
            multiple = f"a multiple of {rule.multiple}, " if rule.multiple > 1 else ""
            name = f"{self.name} ({variant})" if variant else self.name
            raise UsageError(f"{given}: {name} takes sides that are {multiple}at least "
                             f"{minimum}")

    def default_size(self, data_size, variant=None):
        """The side the data is resized to when none is asked for: the data's own, or the
        model's minimum when that is larger, rounded up to the patch multiple."""
        if self.rule.fixed:
            return self.rule.native
        size = max(data_size, self.minimum(variant))
        return -(-size // self.rule.multiple) * self.rule.multiple

    def construct(self, channels=None, size=None, **kwargs):
        """The constructor's own model, with `channels` and `size` (where given) passed as
        the arguments it has for them, and `kwargs` as they are."""
        rule = self.rule
        if channels is not None and rule.channels_arg:
            kwargs[rule.channels_arg] = channels
        if size is not None and rule.size_arg:
            kwargs[rule.size_arg] = size
        return self.constructor(**kwargs)

    def construct_for_input(self, input_size, flag="--input", **kwargs):
        """The constructor's own model for (C, H, W) inputs (None: its native size), with
        the input's side and channels passed where the constructor takes them (and
        `kwargs`, e.g. a variant); a
        UsageError naming `flag` and the value for a size the model is built not to take
        (a side below its minimum, non-square, 1 channel for a model fixed at 3)."""
        if input_size is None:
            return self.construct(**kwargs)
        channels, height, width = input_size
        given = f"{flag} {channels},{height},{width}"
        size = None
        if self.rule.size_arg:
            if height != width:
                raise UsageError(f"{given}: {self.name} takes square inputs")
            self.check_size(height, given)
            size = height
        if not self.rule.channels_arg and channels != 3:
            raise UsageError(f"{given}: {self.name} takes 3 channels")
        return self.construct(channels, size, **kwargs)

    def build(self, num_classes, channels, size, variant=None):
        """The model for `num_classes` classes and (channels, size, size) inputs, adapted for
        training from the command line (see the module docstring)."""
        output = self.rule.output
        kwargs = {} if output == "clip" else {"num_classes": num_classes}
        if self.rule.aux_side is not None:
            kwargs["aux_logits"] = size >= self.rule.aux_side
        if variant is not None:
            kwargs["variant"] = variant
        model = self.construct(channels, size, **kwargs)
        if output == "clip":
            model = CLIPImageClassifier(model, num_classes)
        elif output == "distilled":
            model.set_distilled_training(False)
        return model


def _constructs_alone(value):
    """Whether `value` is a function callable without arguments."""
    if not inspect.isfunction(value):
        return False
    try:
        inspect.signature(value).bind()
    except TypeError:
        return False
    return True


def _rule(name):
    return next((rule for rule in RULES if re.fullmatch(rule.pattern, name)), None)


def catalog():
    """Every zoo model, by name, in alphabetical order."""
    entries = {}
    for name in sorted(models.__all__):
        value = getattr(models, name)
        rule = _rule(name)
        if rule is not None and _constructs_alone(value):
            entries[name] = ZooModel(name, value, rule)
    return entries


def lookup(name, flag="model"):
    """The zoo model called `name`; an unknown name is a UsageError with the closest names."""
    entries = catalog()
    if name in entries:
        return entries[name]
    lowered = {n.lower(): n for n in entries}
    if name.lower() in lowered:
        return entries[lowered[name.lower()]]
    close = [lowered[n] for n in difflib.get_close_matches(name.lower(), lowered, n=3,
                                                             cutoff=0.7)]
    names = f"{', '.join(close[:-1])} or {close[-1]}" if len(close) > 1 else "".join(close)
    hint = f"did you mean {names}? " if close else ""
    raise UsageError(f"unknown {flag} {name!r}; {hint}`minicnn models` lists the "
                     f"{len(entries)} models")
