"""`minicnn export MODEL_OR_RUN --onnx OUT.onnx`: a zoo model (with its random initial
weights; a CLIP model's image tower) or a trained run (its latest weights, as `minicnn
evaluate` loads them) written as an ONNX graph by mc.onnx.export, traced in eval mode on a
batch of --batch inputs of the run's input size, the model's native size, or --input."""
import os

from .. import onnx
from ..creation import zeros
from ..grad_mode import no_grad
from . import zoo
from .arg_types import input_size, int_at_least, positive_int
from .errors import UsageError, user_input
from .saved_run import load_run


def add_parser(commands):
    """The `export` subcommand."""
    parser = commands.add_parser("export", help="write a zoo model or a trained run as an "
                                 "ONNX file")
    parser.add_argument("source", metavar="MODEL_OR_RUN",
                        help="a model of `minicnn models` (random weights), or a run folder "
                        "of `minicnn train` (its latest weights)")
    parser.add_argument("--onnx", required=True, metavar="OUT.onnx",
                        help="the ONNX file to write")
    parser.add_argument("--input", type=input_size, default=None, metavar="C,H,W",
                        help="input size (default: the run's, or the model's native size)")
    parser.add_argument("--batch", type=positive_int, default=1,
                        help="the batch size the graph takes (default 1)")
    parser.add_argument("--opset", type=int_at_least(17), default=17,
                        help="ONNX opset (default 17)")
    return parser


def _model(args):
    """(model in eval mode, its input's (C, H, W)) of a run folder or a zoo name."""
    if os.path.exists(args.source) or os.sep in args.source:
        run = load_run(args.source, flag="MODEL_OR_RUN")
        return run.model, args.input or run.input_size
    entry = zoo.lookup(args.source, flag="MODEL_OR_RUN")
    model = entry.construct_for_input(args.input)
    size = args.input or tuple(getattr(model, "input_size", (3, 224, 224)))
    if entry.rule.output == "clip":
        model = model.visual        # the image tower: images to embeddings
    return model.eval(), size


def run(args):
    model, size = _model(args)
    example = zeros(args.batch, *size)
    with user_input(f"--input {','.join(map(str, size))}"), no_grad():
        model(example)                      # an input the model cannot take is the user's
    try:
        proto = onnx.export(model, example, args.onnx, opset=args.opset)
    except ImportError as error:
        raise UsageError(f"--onnx: {error}") from None
    except OSError as error:
        raise UsageError(f"--onnx {args.onnx}: {error.strerror or error}") from None
    except ValueError as error:
        if "opset must be" not in str(error):
            raise
        raise UsageError(f"--opset {args.opset}: {error}") from None
    output = proto.graph.output[0].type.tensor_type.shape
    print(f"wrote {args.onnx}: ONNX opset {args.opset}, input ({args.batch}, "
          f"{', '.join(map(str, size))}) -> output "
          f"({', '.join(str(d.dim_value) for d in output.dim)}), "
          f"{os.path.getsize(args.onnx) / 1e6:.1f} MB")
    return 0
