"""`minicnn visualize RUN_DIR_OR_MODEL --method M --image PATH --out out.png`: what a
network looks at in one image (Grad-CAM, saliency, guided backpropagation, deconvnet,
occlusion, integrated gradients), its feature maps, or its first filters, as a PNG with the
image and the map side by side."""
import os
from dataclasses import dataclass

import numpy as np

from .. import grad_mode
from ..creation import tensor
from ..io import from_torch, load, load_torch_file
from ..random import manual_seed
from ..viz import save_side_by_side
from . import datasets, zoo
from .arg_types import positive_int
from .errors import UsageError, user_input
from .saved_run import load_run
from .visualize_pictures import METHODS, Settings, display_image, picture

# the normalisation of an image given to a zoo model without a run: ImageNet's statistics
# (those of torchvision's weights) for RGB, MNIST's for one channel
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
DIGITS = ((0.1307,), (0.3081,))


def add_parser(commands):
    """The `visualize` subcommand."""
    parser = commands.add_parser(
        "visualize", help="what a network looks at in an image, its feature maps or filters",
        description="Draw one mc.viz method for an image, beside the image, as a PNG. "
                    "RUN_DIR_OR_MODEL is a run folder of `minicnn train` (its latest weights, "
                    "its preprocessing and class names) or a model of `minicnn models` "
                    "(random weights from seed 0, or --weights; the image is resized to the "
                    "model's native side and normalised with ImageNet's statistics, or "
                    "MNIST's for a one-channel model).")
    parser.add_argument("source", metavar="RUN_DIR_OR_MODEL",
                        help="a run folder of minicnn train, or a model name such as resnet18")
    parser.add_argument("--method", required=True, choices=METHODS,
                        help="gradcam, saliency, guided (backpropagation), deconvnet, "
                             "occlusion, integrated (gradients), filters or features")
    parser.add_argument("--image", metavar="PATH",
                        help="the image file (PNG, JPEG ...); every method but filters needs one")
    parser.add_argument("--layer", metavar="NAME",
                        help="a submodule name, e.g. features.3 or layer4 (default: the last "
                             "Conv2d with maps larger than 1x1 for gradcam, the first Conv2d "
                             "for filters and features)")
    parser.add_argument("--target", metavar="CLASS",
                        help="the class to explain, by index or by name (default: the "
                             "predicted class)")
    parser.add_argument("--weights", metavar="FILE",
                        help="for a model name: a state_dict saved by mc.save (.npz) or by "
                             "PyTorch (.pth, .pt)")
    parser.add_argument("--window", type=positive_int, default=None,
                        help="occlusion's square patch side (default: the image side / 8); "
                             "it moves by half its side")
    parser.add_argument("--steps", type=positive_int, default=50,
                        help="integrated gradients' points on the path (default: %(default)s)")
    parser.add_argument("--out", metavar="PNG", default="visualize.png",
                        help="the PNG to write (default: %(default)s)")
    return parser


@dataclass
class Subject:
    """The model to look into, how an image file is read and prepared for it, its class
    names (None: numbers), the normalisation to undo for display, and how to name it."""
    model: object
    read: object
    prepare: object
    classes: tuple
    mean: tuple
    std: tuple
    name: str


def _weights(model, path):
    """Load the state_dict file `path` into `model`."""
    with user_input(f"--weights {path}", (ValueError, KeyError, RuntimeError, OSError)):
        state = from_torch(load_torch_file(path)) if path.endswith((".pth", ".pt")) \
            else load(path)
        if not isinstance(state, dict):
            raise ValueError(f"holds a {type(state).__name__}, not a state_dict")
        if isinstance(state.get("model"), dict):      # a checkpoint of minicnn train
            state = state["model"]
        model.load_state_dict(state)


def subject(args):
    """The Subject of RUN_DIR_OR_MODEL: a run folder when the path exists, else a zoo name."""
    if os.path.exists(args.source):
        if args.weights:
            raise UsageError(f"--weights {args.weights}: a run folder brings its own weights")
        saved = load_run(args.source, "RUN_DIR_OR_MODEL")
        source = saved.source
        name = f"{saved.record['model']} of {saved.folder}"
        return Subject(saved.model, lambda path: datasets.read_image(path, source),
                       saved.transform(), source.classes, source.mean, source.std, name)
    entry = zoo.lookup(args.source, "model or run folder")
    manual_seed(0)                  # random weights, the same at every call
    model = entry.construct()
    if args.weights:
        _weights(model, args.weights)
    model.eval()
    channels = entry.native_channels
    mean, std = DIGITS if channels == 1 else IMAGENET
    source = datasets.Source("image", "folder", "", (), channels, None, mean, std)
    prepare = datasets.transform(source, False, False, entry.rule.native, channels)
    return Subject(model, lambda path: datasets.read_image(path, source), prepare, None,
                   mean, std, entry.name)


def _target(text, classes, count):
    """The class index that --target names (an index, or a class name of the run)."""
    if classes is not None and text in classes:
        return classes.index(text)
    try:
        index = int(text)
    except ValueError:
        names = "" if classes is None else " or one of the run's classes"
        raise UsageError(f"--target {text}: expected a class index{names}") from None
    if not 0 <= index < count:
        raise UsageError(f"--target {text}: the model has {count} classes (0 to {count - 1})")
    return index


def run(args):
    if args.method != "filters" and args.image is None:
        raise UsageError(f"--method {args.method} needs --image PATH")
    if args.image is not None and not os.path.isfile(args.image):
        raise UsageError(f"--image {args.image}: no such file")
    looked = subject(args)
    model = looked.model
    x = None
    if args.image is not None:
        x = tensor(np.asarray(looked.prepare(looked.read(args.image)))[None])
    target = None
    if x is not None and args.method not in ("filters", "features"):
        with user_input("--image"), grad_mode.no_grad():
            logits = model(x)
        logits = (logits[0] if isinstance(logits, tuple) else logits).numpy()[0]
        target = int(np.argmax(logits)) if args.target is None else \
            _target(args.target, looked.classes, len(logits))
    settings = Settings(args.layer, target, args.window, args.steps)
    shown, options, words = picture(args.method, model, x, settings)
    if target is not None:
        name = looked.classes[target] if looked.classes else str(target)
        words = f"{words}\nclass {name}"
    image = None if x is None else display_image(x, looked.mean, looked.std)
    with user_input(f"--out {args.out}", (OSError, ValueError)):
        save_side_by_side(args.out, image, shown, words, **options)
    print(f"{args.method} of {looked.name}: {args.out}")
    return 0
