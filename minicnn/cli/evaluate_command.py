"""`minicnn evaluate RUN_DIR`: the test accuracy (top-1 and top-5) of a trained run, on its
own dataset or another with the same classes, and its confusion matrix as a PNG."""
import os
import re

from ..data import DataLoader
from ..train import evaluate, plot_confusion
from . import clip_evaluation, clip_training, datasets
from .arg_types import positive_int
from .errors import UsageError
from .saved_run import load_run


def add_parser(commands):
    """The `evaluate` subcommand."""
    parser = commands.add_parser(
        "evaluate", help="test accuracy and confusion matrix of a trained run",
        description="Evaluate the latest weights of a run of `minicnn train` on the test split "
                    "of its dataset (or of --dataset), print `test accuracy: …` with the top-5 "
                    "accuracy, and write the confusion matrix as a PNG in the run folder.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder of minicnn train")
    parser.add_argument("--dataset", help="evaluate on this dataset's test split instead (the "
                        "same classes as the run's; default: the run's dataset)")
    parser.add_argument("--data-root", help="where datasets are kept (default: $MINICNN_DATA, "
                        "else ~/.cache/minicnn)")
    parser.add_argument("--download", action="store_true",
                        help="download a dataset that is not on disk")
    parser.add_argument("--batch-size", type=positive_int, default=256,
                        help="images per batch (default: %(default)s)")
    parser.add_argument("--out", metavar="PNG", help="where to write the confusion matrix "
                        "(default: RUN_DIR/confusion-<dataset>.png)")
    return parser


def _slug(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", os.path.basename(os.path.normpath(name))) or "data"


def run(args):
    saved = load_run(args.run_dir, pairs=True)
    if clip_training.is_pairs_run(saved.record):
        return clip_evaluation.run(saved, args)
    data = saved.record["data"]
    name = args.dataset or datasets.run_dataset(data)
    source, _, test_set = datasets.open_dataset(name, args.data_root or data["root"],
                                                args.download)
    if list(source.classes) != data["classes"]:
        raise UsageError(f"--dataset {name}: its classes ({', '.join(source.classes)}) are "
                         f"not the run's ({', '.join(data['classes'])})")
    if saved.input_size[0] < source.channels:
        raise UsageError(f"--dataset {name}: its images have {source.channels} channels, the "
                         f"model takes {saved.input_size[0]}")
    test_set.transform = saved.transform(source)
    loader = DataLoader(test_set, batch_size=args.batch_size)
    scores = evaluate(saved.model, loader, confusion=True)
    print(f"evaluated {saved.record['model']} of {saved.folder} ({os.path.basename(saved.weights)}) "
          f"on {len(test_set)} test images of {args.dataset or data['dataset']}")
    path = args.out or os.path.join(saved.folder, f"confusion-{_slug(source.name)}.png")
    title = f"{saved.record['model']} on {source.name}: top-1 {scores['top1']:.4f}"
    if plot_confusion(scores["confusion"], list(source.classes), path, title) is not None:
        print(f"confusion matrix: {path}")
    print(f"test accuracy: {scores['top1']:.4f} (top-5: {scores['top5']:.4f})")
    return 0
