"""`minicnn predict RUN_DIR IMAGE...`: the most likely classes of each image, with their
probabilities, under a trained run's model."""
import numpy as np

from .. import grad_mode
from ..creation import tensor
from ..functional import softmax
from . import datasets
from .arg_types import positive_int
from .saved_run import load_run


def add_parser(commands):
    """The `predict` subcommand."""
    parser = commands.add_parser(
        "predict", help="classify image files with a trained run",
        description="Classify each image with the latest weights of a run of `minicnn train`: "
                    "the image is read as the run's dataset stores its images (grayscale or "
                    "RGB, resized to its side) and prepared as its test images are; the top "
                    "classes are printed with their probabilities.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder of minicnn train")
    parser.add_argument("images", metavar="IMAGE", nargs="+", help="image files (PNG, JPEG ...)")
    parser.add_argument("--top", type=positive_int, default=5,
                        help="how many classes to print per image (default: %(default)s)")
    return parser


BATCH = 64


def run(args):
    saved = load_run(args.run_dir)
    prepare = saved.transform()
    images = [prepare(datasets.read_image(path, saved.source)) for path in args.images]
    with grad_mode.no_grad():
        probabilities = np.concatenate([
            softmax(saved.model(tensor(np.stack(images[i:i + BATCH]))), dim=1).numpy()
            for i in range(0, len(images), BATCH)])
    classes = saved.source.classes
    top = min(args.top, len(classes))
    for path, row in zip(args.images, probabilities):
        print(path)
        for index in np.argsort(-row, kind="stable")[:top]:
            print(f"  {row[index]:.4f}  {classes[index]}")
    return 0
