"""The `minicnn` command (also `python -m minicnn`): train, summary, gradcheck, bench, info."""
import argparse
import difflib
import inspect
import sys

from .. import models, nn
from ..nn.summary import summary
from . import bench_command, datasets, gradcheck_command, info_command, train_command


def _input_size(text):
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--input must look like 3,224,224, got {text!r}")


def parser():
    top = argparse.ArgumentParser(prog="minicnn", description="minicnn: train, inspect and "
                                  "check networks built from scratch")
    commands = top.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model and report its test accuracy")
    train.add_argument("model", help="a model of minicnn.models, e.g. lenet5")
    train.add_argument("--dataset", default="sample",
                       help=f"one of {', '.join(datasets.NAMES)}, or a folder with train/ and "
                            f"test/ class folders (default: sample, the bundled MNIST digits)")
    train.add_argument("--epochs", type=int, default=12)
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--lr", type=float, default=3e-3)
    train.add_argument("--optimizer", choices=["adam", "adamw", "sgd", "rmsprop"],
                       default="adam")
    train.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--threads", type=int, default=1,
                       help="compute threads (default 1: on small nets more threads cost more "
                            "in hand-offs than they save)")
    train.add_argument("--workers", type=int, default=1,
                       help="threads that prepare batches in the background")
    train.add_argument("--out", help="run folder (default: runs/<timestamp>)")
    train.add_argument("--resume", help="a checkpoint.npz to continue from")
    train.add_argument("--checkpoint-every", type=int, default=None,
                       help="also checkpoint every N batches")
    train.add_argument("--data-root", help="where datasets are kept (default ~/.cache/minicnn)")
    train.add_argument("--download", action="store_true", help="download missing datasets")
    train.add_argument("--on-nonfinite", choices=["stop", "skip", "raise"], default="stop",
                       help="when a loss or gradient is NaN or infinite: stop (default; the "
                            "last good checkpoint stays), skip the batch, or raise")
    train.add_argument("--detect-anomaly", action="store_true",
                       help="name the op and the line that made the first NaN gradient "
                            "(mc.autograd.detect_anomaly; slower)")

    summary = commands.add_parser("summary", help="layers, output shapes, parameters, MACs, "
                                  "receptive fields and activation memory")
    summary.add_argument("model", help="a constructor of minicnn.models, e.g. resnet18")
    summary.add_argument("--input", type=_input_size, default=None,
                         help="input size C,H,W (default: the model's native size)")
    summary.add_argument("--depth", type=int, default=None,
                         help="report the modules this many levels down instead of every layer")

    check = commands.add_parser("gradcheck", help="numerical gradient check of every op")
    check.add_argument("ops", nargs="*", help="only the ops whose name contains these")
    check.add_argument("--atol", type=float, default=1e-5)
    check.add_argument("--rtol", type=float, default=1e-3)

    bench_command.add_parser(commands)
    info_command.add_parser(commands)
    return top


def _summary(args):
    model = _zoo_model(args.model, args.input[0] if args.input else None)
    summary(model, args.input or getattr(model, "input_size", (3, 224, 224)), depth=args.depth)
    return 0


def _zoo_model(name, channels):
    """minicnn.models.<name>() with its defaults, built for `channels` input channels where
    the constructor takes in_channels."""
    constructor = None if name.startswith("_") else getattr(models, name, None)
    if not callable(constructor):
        names = {n.lower(): n for n in models.__all__ if _constructs_alone(getattr(models, n))}
        close = [names[n] for n in difflib.get_close_matches(name.lower(), names, n=5)]
        hint = f"; close names: {', '.join(close)}" if close else "; see minicnn.models"
        raise SystemExit(f"minicnn summary: unknown model {name!r}{hint}")
    if not _constructs_alone(constructor):
        raise SystemExit(f"minicnn summary: {name!r} is not a model constructor (it needs "
                         f"arguments)")
    takes_channels = "in_channels" in inspect.signature(constructor).parameters
    model = constructor(in_channels=channels) if channels and takes_channels else constructor()
    if not isinstance(model, nn.Module):
        raise SystemExit(f"minicnn summary: {name!r} is not a model constructor (it returned "
                         f"{type(model).__name__})")
    return model


def _constructs_alone(value):
    """Whether `value` can be called without arguments."""
    try:
        inspect.signature(value).bind()
    except (TypeError, ValueError):
        return False
    return callable(value)


def main(argv=None):
    args = parser().parse_args(argv)
    if args.command == "train":
        run = train_command.run
    elif args.command == "summary":
        run = _summary
    elif args.command == "bench":
        run = bench_command.run
    elif args.command == "info":
        run = info_command.run
    else:
        run = gradcheck_command.run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
