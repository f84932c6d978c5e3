"""`minicnn train` on image–caption pairs: a CLIP model trained contrastively on
`--dataset digit-captions` (mc.data.DigitCaptions), in random order or in TOnICS's
curriculum (`--curriculum random|tonics`).

The run is a normal run folder: fit trains a ContrastiveCLIP, whose batches are the pairs'
images and token ids (the shipped caption vocabulary, caption_bpe.py) and whose targets
are each image's caption in the batch, so the history's accuracies are in-batch
image→text accuracies. The weights are the ContrastiveCLIP's (keys `clip.` + open_clip's).
`clip_tiny` trains this way only; the other CLIP models train as image classifiers on the
other datasets, and contrastively on digit-captions. With --curriculum tonics the first
half of the epochs (at least one) draws random minibatches and the rest one shared digit
per minibatch. Captions are not augmented: a flip or a crop would make "left of" false.
"""
from ..data.datasets.sample import PACKAGED_FILE
from ..models import ContrastiveCLIP
from ..models.clip_digit_captions import (CURRICULA, DIGITS, MEAN, STD, caption_pairs,
                                          pair_loader, tonics_switch)
from . import data_parallel
from .datasets import FirstBatches, Source
from .errors import UsageError

DATASET = "digit-captions"
KIND = "captions"
NATIVE_DATA_SIZE = 48           # the canvas side when the model's own side is larger
CLIP_OUTPUTS = ("clip", "contrastive")


def add_arguments(group):
    """--curriculum, in the `train` command's data options."""
    group.add_argument("--curriculum", choices=CURRICULA,
                       help=f"the order of the image–caption pairs of --dataset {DATASET} "
                            f"(a CLIP model): random minibatches, or TOnICS (random for the "
                            f"first half of the epochs, then one shared digit per minibatch) "
                            f"(default: random)")


def is_pairs_run(record):
    """Whether a run (its run.json record) trains on image–caption pairs."""
    return record["data"]["kind"] == KIND


def prepare(entry, settings):
    """Check that the model, --dataset and --curriculum go together; for a run on pairs,
    fill in the curriculum and the image side. Returns whether the run trains on pairs."""
    pairs = settings["dataset"] == DATASET
    is_clip = entry.rule.output in CLIP_OUTPUTS
    if pairs and not is_clip:
        raise UsageError(f"--dataset {DATASET}: image–caption pairs train a CLIP model "
                         f"contrastively, and {entry.name} is not one (clip_tiny, clip_rn50 "
                         f"and clip_vit_b_32 are)")
    if not pairs and entry.rule.output == "contrastive":
        raise UsageError(f"--dataset {settings['dataset']}: {entry.name} trains contrastively "
                         f"on image–caption pairs only (--dataset {DATASET})")
    if not pairs and settings.get("curriculum") is not None:
        raise UsageError(f"--curriculum {settings['curriculum']}: a curriculum orders the "
                         f"image–caption pairs of --dataset {DATASET}, for a CLIP model")
    if pairs:
        settings.setdefault("curriculum", "random")
        if settings["image_size"] is None:
            settings["image_size"] = entry.default_size(NATIVE_DATA_SIZE, settings["variant"])
    return pairs


def open_pairs(size):
    """(Source, train pairs, test pairs) of DigitCaptions on size×size canvases."""
    if size < 32:
        raise UsageError(f"--image-size {size}: {DATASET} draws canvases of 32×32 at least")
    source = Source(DATASET, KIND, str(PACKAGED_FILE), tuple(DIGITS), 1, size, (MEAN,), (STD,))
    return source, caption_pairs("train", size), caption_pairs("test", size)


def reopen(record):
    """The (Source, train pairs, test pairs) of a run on pairs, opened again."""
    return open_pairs(record["input_size"][1])


def build(entry, record):
    """The ContrastiveCLIP that a run on pairs trains."""
    return ContrastiveCLIP(entry.construct(size=record["input_size"][1]))


def curriculum_line(settings):
    """How the run orders its pairs, for the lines the command prints before training."""
    if settings["curriculum"] == "random":
        return "curriculum: random minibatches every epoch"
    switch = tonics_switch(settings["epochs"])
    return (f"curriculum: TOnICS, random minibatches for {switch} epoch(s), then one shared "
            f"digit per minibatch")


def loaders(source, train_set, test_set, record, args):
    """(train loader in the run's curriculum, test loader: the first --max-steps batches)."""
    if data_parallel.world_size() > 1:
        raise UsageError(f"--dataset {DATASET} trains in one process (its curriculum draws "
                         f"whole minibatches)")
    settings = record["settings"]
    batch, epochs = settings["batch_size"], settings["epochs"]
    if batch > len(train_set):
        raise UsageError(f"--batch-size {batch}: more than the {len(train_set)} training pairs")
    train_loader = pair_loader(train_set, batch, settings["curriculum"], settings["seed"],
                               phase_switch=tonics_switch(epochs), num_workers=args.workers)
    # a smoke run evaluates on a few batches: drawn at random, as for the other datasets
    test_loader = pair_loader(test_set, batch, seed=settings["seed"], num_workers=args.workers,
                              shuffle=args.max_steps is not None)
    return train_loader, FirstBatches(test_loader, args.max_steps)


def mean_epoch_length(train_loader, epochs):
    """The mean number of batches of the run's epochs: TOnICS's epochs after the switch
    have more (each digit's group ends with a short batch), so the learning-rate schedule's
    total counts every epoch's own."""
    sampler = train_loader.batch_sampler
    if sampler is None:
        return len(train_loader)
    current, lengths = sampler.epoch, []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        lengths.append(len(sampler))
    sampler.set_epoch(current)
    return sum(lengths) / epochs


def result_line(last):
    """The run's last line: the test split's in-batch retrieval accuracy."""
    return (f"test in-batch image→text accuracy: {last['val_acc']:.4f} (top-5: "
            f"{last['val_top5']:.4f}); `minicnn evaluate` gives recall@k and zero-shot "
            f"accuracy")
