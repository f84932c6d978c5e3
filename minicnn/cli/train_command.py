"""`minicnn train MODEL` and `minicnn train --resume RUN_DIR`: train a zoo model on a
dataset in a run folder, report its test accuracy, and continue or extend a run."""
import argparse
import contextlib
import os
import shlex
import sys
import textwrap
import time
import warnings
from functools import partial

from .. import cuda, optim
from .. import random as mc_random
from ..autograd import detect_anomaly
from ..data import DataLoader, DistributedSampler
from ..functional import cross_entropy
from ..io import load, save
from ..models import contrastive_loss, inception_loss
from ..nn.parallel import DistributedDataParallel
from ..threads import set_num_threads
from ..train import TrainingInterrupted, fit
from . import (clip_training, data_parallel, datasets, distillation_training, recipes,
               run_folder, train_settings, zoo)
from .arg_types import (float_in, nonnegative_float, nonnegative_int, positive_float,
                        positive_int)
from .errors import UsageError, user_input
from .schedule import KINDS, TrainingSchedule

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
FAMILY = "(default: per model family, see below)"
INTERRUPTED = 130            # the shell's status for a command ended by SIGINT


def add_parser(commands):
    """The `train` subcommand."""
    train = commands.add_parser(
        "train", help="train a model and report its test accuracy",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.fill(
            "Train MODEL (see `minicnn models`) on a dataset, in a run folder that "
                    "holds run.json (every setting), checkpoint.npz, model.npz, history.csv/"
                    "json and curves.png. The data is fitted to the model (grayscale is "
                    "repeated into 3 channels, images are resized to the model's minimum "
                    "input) and the model to the data (its classes).",
            train_settings.WIDTH),
        epilog=f"{train_settings.families_help()}\n\n"
               f"{recipes.help_text(train_settings.WIDTH)}")
    train.add_argument("model", nargs="?",
                       help="a model of `minicnn models`, e.g. lenet5 (not with --resume)")
    data = train.add_argument_group("data")
    data.add_argument("--dataset", help=f"one of {', '.join(datasets.NAMES)}, "
                      f"{clip_training.DATASET} (image–caption pairs, for CLIP models), or "
                      f"{datasets.FOLDER_HELP} (default: sample, the bundled MNIST digits)")
    data.add_argument("--data-root", help="where datasets are kept (default: $MINICNN_DATA, "
                      "else ~/.cache/minicnn)")
    data.add_argument("--download", action="store_true",
                      help="download a dataset that is not on disk")
    data.add_argument("--image-size", type=positive_int, metavar="N",
                      help="resize images to N×N (default: 32, or the model's minimum input "
                           "side when larger)")
    data.add_argument("--augment", action=argparse.BooleanOptionalAction,
                      help="the dataset's usual augmentation of training images: shifts for "
                           "digits, padded crops and flips for CIFAR-10, random resized crops "
                           "and flips for a folder (default: on); AlexNet and VGG follow "
                           "their papers (see below)")
    data.add_argument("--scale-jitter", nargs=2, type=positive_int, metavar=("S_MIN", "S_MAX"),
                      help="multi-scale training: rescale each training image's shorter side "
                           "to S in [S_MIN, S_MAX], then crop --image-size (default: VGG's "
                           "[256, 512] for 224, scaled to --image-size, for vgg*; none for "
                           "other models)")
    clip_training.add_arguments(data)
    model = train.add_argument_group("model and optimisation")
    model.add_argument("--variant", help="the model's variant, for models that have several "
                       "(lenet5: modern, classic; alexnet, googlenet: torchvision, paper)")
    model.add_argument("--epochs", type=positive_int, help=f"epochs to train {FAMILY}")
    model.add_argument("--batch-size", type=positive_int, help=f"images per batch {FAMILY}")
    model.add_argument("--optimizer", choices=OPTIMIZERS, help=FAMILY)
    model.add_argument("--lr", type=positive_float, help=f"peak learning rate {FAMILY}")
    model.add_argument("--momentum", type=float_in(0.0, 1.0),
                       help=f"SGD's and RMSprop's momentum, Adam's beta1, in [0, 1) {FAMILY}")
    model.add_argument("--weight-decay", type=nonnegative_float, help=FAMILY)
    model.add_argument("--scheduler", choices=KINDS,
                       help=f"the learning-rate schedule, stepped every batch: constant, "
                            f"x0.1 at 1/2 and 3/4 of the run, cosine to 0, or 1cycle "
                            f"{FAMILY}")
    model.add_argument("--warmup-epochs", type=nonnegative_float,
                       help=f"linear warmup to --lr over this many epochs {FAMILY}")
    model.add_argument("--label-smoothing", type=float_in(0.0, 1.0), help=FAMILY)
    model.add_argument("--grad-clip", type=nonnegative_float, metavar="NORM",
                       help=f"clip the gradients' total 2-norm to NORM; 0: no clipping "
                            f"{FAMILY}")
    model.add_argument("--seed", type=nonnegative_int, help="seed of the weights, batches "
                       "and augmentation (default: 0)")
    run = train.add_argument_group("run")
    run.add_argument("--out", help="run folder (default: runs/<timestamp>, unique even for "
                     "runs started in the same second)")
    run.add_argument("--resume", metavar="RUN_DIR",
                     help="continue the run in RUN_DIR from its last checkpoint, in the same "
                          "folder, with its settings; --epochs may extend it (the learning-"
                          "rate schedule is then rebuilt for the new total)")
    run.add_argument("--max-steps", type=positive_int, metavar="N",
                     help="stop after N training batches and evaluate on at most N test "
                          "batches: a smoke run (default: no limit)")
    run.add_argument("--checkpoint-every", type=positive_int, metavar="N",
                     help="also checkpoint every N batches (default: at each epoch's end)")
    run.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                     help="(default: %(default)s)")
    run.add_argument("--nproc", type=positive_int, metavar="N",
                     help="train data-parallel in N processes, started with mpiexec (pip "
                          "install 'minicnn[mpi]'); each takes --batch-size images a step, so "
                          "the global batch is N times that (see the README on the learning "
                          "rate). A command started by mpiexec trains data-parallel without it")
    run.add_argument("--threads", type=positive_int, default=1,
                     help="compute threads (default: %(default)s; on small nets more threads "
                          "cost more in hand-offs than they save)")
    run.add_argument("--workers", type=nonnegative_int, default=1,
                     help="threads that prepare batches in the background (default: "
                          "%(default)s)")
    run.add_argument("--on-nonfinite", choices=["stop", "skip", "raise"], default="stop",
                     help="when a loss or gradient is NaN or infinite: stop (default; the "
                          "last good checkpoint stays), skip the batch, or raise")
    run.add_argument("--detect-anomaly", action="store_true",
                     help="name the op and the line that made the first NaN gradient "
                          "(mc.autograd.detect_anomaly; slower)")
    distillation_training.add_arguments(train)
    return train


def _given(args):
    """The settings given on the command line (setting -> value)."""
    return {key: getattr(args, key) for key in train_settings.SETTINGS
            if getattr(args, key) is not None}


def _checkpoint_position(path):
    """(epochs done, batches done in the next epoch) of the checkpoint at `path`."""
    with user_input(f"--resume: {path}", (ValueError, OSError)):
        state = load(path)
    return state["epoch"], state["step_in_epoch"]


def _new_run(args):
    """(folder, record, checkpoint to resume from, (source, train set, test set)) of a run
    that starts now."""
    if args.model is None:
        raise UsageError("name a model (see `minicnn models`), or --resume RUN_DIR")
    entry = distillation_training.student_entry(args, zoo.lookup(args.model))
    settings = train_settings.resolve(entry.family, _given(args))
    entry.check_variant(settings["variant"])
    if clip_training.prepare(entry, settings):
        opened = clip_training.open_pairs(settings["image_size"])
    else:
        opened = datasets.open_dataset(settings["dataset"], args.data_root, args.download)
    source = opened[0]
    if settings["image_size"] is None:
        settings["image_size"] = entry.default_size(datasets.BASE_SIZE, settings["variant"])
    entry.check_size(settings["image_size"], variant=settings["variant"])
    recipes.check(entry, settings)
    distillation = distillation_training.record(args, source)
    if args.out and os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out {args.out}: a file, not a folder")
    if args.out and os.path.isfile(os.path.join(args.out, run_folder.RUN_FILE)):
        raise UsageError(f"--out {args.out}: the folder holds a run already; continue it with "
                         f"--resume {args.out}, or choose another folder")
    with user_input(f"--out {args.out or 'runs'}", (OSError,)):   # a folder it cannot make
        folder = args.out or run_folder.new_run_folder()
        os.makedirs(folder, exist_ok=True)
    data_root = os.path.abspath(args.data_root) if args.data_root else None
    record = {"model": entry.name, "family": entry.family,
              "num_classes": len(source.classes),
              "input_size": [entry.channels_for(source.channels), settings["image_size"],
                             settings["image_size"]],
              "settings": settings, "data": dict(source.record(), root=data_root),
              "created": run_folder.stamp(), "trainings": []}
    if distillation is not None:
        record["distillation"] = distillation
    return folder, record, None, opened


def _resumed_run(args):
    """(folder, record, checkpoint to resume from, (source, train set, test set)) of the run
    in --resume, or None when it has nothing left to do."""
    folder, record = run_folder.read_run(args.resume, "--resume")
    if args.model is not None and args.model != record["model"]:
        raise UsageError(f"--resume {args.resume}: the run trains {record['model']}, not "
                         f"{args.model} (leave the model out)")
    changed = [train_settings.SETTINGS[k] for k in _given(args) if k != "epochs"]
    changed += ["--out"] if args.out else []
    changed += distillation_training.given_flags(args)
    if changed:
        raise UsageError(f"{changed[0]} cannot be given with --resume: the run keeps the "
                         f"settings of {os.path.join(folder, run_folder.RUN_FILE)} (--epochs "
                         f"may extend it)")
    settings = record["settings"]
    epochs = args.epochs or settings["epochs"]
    checkpoint = os.path.join(folder, run_folder.CHECKPOINT)
    if not os.path.isfile(checkpoint):
        checkpoint = None            # stopped before its first checkpoint: start it again
    else:
        done, step = _checkpoint_position(checkpoint)
        if epochs < done or (epochs == done and step > 0):
            raise UsageError(f"--epochs {epochs}: the run in {folder} has trained {done} "
                             f"epochs already")
        before = record["trainings"][-1].get("processes", 1) if record["trainings"] else 1
        if step > 0 and before != data_parallel.world_size():
            raise UsageError(f"--resume {args.resume}: the run stopped mid-epoch in {before} "
                             f"process(es); resume it in as many (--nproc {before}), or from "
                             f"an epoch boundary in any number")
        if epochs == done:
            print(f"{folder} already finished: {done} of {epochs} epochs trained; nothing to "
                  f"do (--epochs N with N > {done} trains it longer)")
            return None
    if epochs != settings["epochs"]:
        verb = "extending" if epochs > settings["epochs"] else "shortening"
        print(f"{verb} the run from {settings['epochs']} to {epochs} epochs; the "
              f"learning-rate schedule is rebuilt for {epochs} epochs")
    record["settings"] = dict(settings, epochs=epochs)
    data = record["data"]
    opened = _reopened(record, args, args.download)
    if list(opened[0].classes) != data["classes"]:
        raise UsageError(f"--resume {args.resume}: the dataset's classes are no longer the "
                         f"run's ({', '.join(data['classes'])})")
    return folder, record, checkpoint, opened


def _optimizer(settings, params):
    name, lr = settings["optimizer"], settings["lr"]
    momentum, decay = settings["momentum"], settings["weight_decay"]
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=decay,
                         nesterov=momentum > 0)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=momentum, weight_decay=decay)
    adam = optim.Adam if name == "adam" else optim.AdamW
    return adam(params, lr=lr, betas=(momentum, 0.999), weight_decay=decay)


def _loss(entry, settings):
    """Cross-entropy with the run's label smoothing; with the auxiliary classifiers' terms
    for the models that have them."""
    smoothing = settings["label_smoothing"]
    if entry.rule.output == "aux":
        return partial(inception_loss, label_smoothing=smoothing)
    return partial(cross_entropy, label_smoothing=smoothing)


def _settings_line(settings):
    keys = ("optimizer", "lr", "momentum", "weight_decay", "scheduler", "warmup_epochs",
            "label_smoothing", "grad_clip", "batch_size", "augment", "seed", "image_size")
    words = []
    for key in keys:
        flag, value = train_settings.SETTINGS[key], settings[key]
        words.append(flag if value is True else f"--no-{flag[2:]}" if value is False
                     else f"{flag} {value:g}" if isinstance(value, float) else
                     f"{flag} {value}")
    return "settings: " + " ".join(words)


def _loaders(entry, source, train_set, test_set, record, args):
    settings, (channels, size, _) = record["settings"], record["input_size"]
    train_set.transform = recipes.train_transform(entry, source, train_set, settings, size,
                                                  channels)
    test_set.transform = datasets.transform(source, False, False, size, channels)
    batch = settings["batch_size"]
    # in several processes each takes its share of every epoch's shuffled order
    sampler = DistributedSampler(train_set, seed=settings["seed"]) \
        if data_parallel.world_size() > 1 else None
    train_loader = DataLoader(train_set, batch_size=batch, shuffle=sampler is None,
                              sampler=sampler, seed=settings["seed"], num_workers=args.workers,
                              drop_last=True)
    if len(train_loader) == 0:
        raise UsageError(f"--batch-size {batch}: more than the {len(train_set)} training "
                         f"images")
    # a smoke run evaluates on a few batches: drawn at random, as a test split may be sorted
    test_loader = DataLoader(test_set, batch_size=batch, num_workers=args.workers,
                             shuffle=args.max_steps is not None, seed=settings["seed"])
    return train_loader, datasets.FirstBatches(test_loader, args.max_steps)


def _reopened(record, args, download=False):
    """The run's (source, train set, test set), opened again: to resume it, or by a rank
    other than 0 once rank 0 has found (or downloaded) them."""
    if clip_training.is_pairs_run(record):
        return clip_training.reopen(record)
    data = record["data"]
    return datasets.open_dataset(datasets.run_dataset(data), args.data_root or data["root"],
                                 download)


def run(args):
    if args.device == "cuda" and not cuda.is_available():
        raise UsageError(f"--device cuda: no CUDA GPU is available to minicnn "
                         f"({cuda.why_unavailable()}; `minicnn info` shows the CUDA state)")
    if args.nproc is not None and data_parallel.launched_world_size() is None:
        return data_parallel.launch(args.nproc, args.argv)
    device = data_parallel.join(args.nproc, args.device)
    try:
        return _train(args, device)
    finally:
        data_parallel.leave()


def _train(args, device):
    """Train as `run` says, in this process (one of several, data-parallel, or alone)."""
    opened = []

    def plan_run():
        plan = _resumed_run(args) if args.resume else _new_run(args)
        if plan is None:
            return None
        opened.append(plan[3])
        return plan[:3]

    plan = data_parallel.shared(plan_run)
    if plan is None:
        return 0
    folder, record, checkpoint = plan
    source, train_set, test_set = opened[0] if opened else _reopened(record, args)
    main, processes = data_parallel.is_main(), data_parallel.world_size()
    say = print if main else (lambda *_, **__: None)
    settings, entry = record["settings"], zoo.lookup(record["model"])
    channels, size, _ = record["input_size"]
    set_num_threads(args.threads)
    mc_random.manual_seed(settings["seed"])
    pairs = clip_training.is_pairs_run(record)
    if pairs:
        model = clip_training.build(entry, record)
        loss_fn = contrastive_loss
        train_loader, test_loader = clip_training.loaders(source, train_set, test_set, record,
                                                          args)
    else:
        model = entry.build(record["num_classes"], channels, size, settings["variant"])
        loss_fn = _loss(entry, settings)
        if "distillation" in record:
            loss_fn = distillation_training.prepare(model, record, device)
        train_loader, test_loader = _loaders(entry, source, train_set, test_set, record, args)
    trained = model.to(device) if processes == 1 else DistributedDataParallel(model.to(device))
    optimizer = _optimizer(settings, model.parameters())
    steps = clip_training.mean_epoch_length(train_loader, settings["epochs"]) if pairs \
        else len(train_loader)
    scheduler = TrainingSchedule(optimizer, settings["scheduler"],
                                 round(settings["epochs"] * steps),
                                 round(settings["warmup_epochs"] * steps))
    record["trainings"].append({"started": run_folder.stamp(), "epochs": settings["epochs"],
                                "max_steps": args.max_steps, "device": args.device,
                                "processes": processes})
    if main:
        run_folder.write_run(folder, record)
    verb = "resuming" if checkpoint else "training"
    say(f"{verb} {entry.name} on {settings['dataset']} ({len(train_set)} train / "
        f"{len(test_set)} test images) for {settings['epochs']} epochs; "
        f"{channels}×{size}×{size} inputs; run folder {folder}")
    say(_settings_line(settings))
    recipe = recipes.describe(entry, source, settings)
    if recipe:
        say(recipe)
    if pairs:
        say(clip_training.curriculum_line(settings))
    if "distillation" in record:
        say(distillation_training.describe(record["distillation"]))
    if processes > 1:
        say(f"data-parallel in {processes} processes: {settings['batch_size']} images each, a "
            f"global batch of {processes * settings['batch_size']}")
    started = time.perf_counter()
    anomaly = detect_anomaly() if args.detect_anomaly else contextlib.nullcontext()
    try:
        with anomaly, warnings.catch_warnings():
            # a stop on a non-finite loss ends the command with the same message, once
            warnings.filterwarnings("ignore", message="fit: ", category=RuntimeWarning)
            history = fit(trained, train_loader, optimizer, loss_fn=loss_fn,
                          epochs=settings["epochs"], val_loader=test_loader,
                          scheduler=scheduler, scheduler_step="batch", device=device,
                          clip_grad_norm=settings["grad_clip"] or None, out_dir=folder,
                          checkpoint_every=args.checkpoint_every, resume=checkpoint,
                          on_nonfinite=args.on_nonfinite, max_steps=args.max_steps)
    except TrainingInterrupted as stop:
        say(f"minicnn train: {str(stop).removeprefix('fit: ')}\nresume with: minicnn "
            f"train --resume {shlex.quote(folder)}", file=sys.stderr)
        return INTERRUPTED
    if history and "stopped" in history[-1]:
        stopped = history[-1]["stopped"].removeprefix("fit: ")
        raise SystemExit(f"minicnn train: {stopped}; no model.npz written" if main else 1)
    if not main:                    # rank 0 writes the weights and evaluates
        return 0
    last = history[-1]              # its validation is of the weights fit ended with
    save(model.state_dict(), os.path.join(folder, run_folder.WEIGHTS))
    print(f"trained in {time.perf_counter() - started:.1f} s; checkpoint, history and plot "
          f"in {folder}")
    if len(test_loader) < len(test_loader.loader):
        print(f"tested on {len(test_loader)} of the {len(test_loader.loader)} test batches, "
              f"drawn at random (--max-steps)")
    print(clip_training.result_line(last) if pairs else
          f"test accuracy: {last['val_acc']:.4f} (top-5: {last['val_top5']:.4f})")
    return 0
