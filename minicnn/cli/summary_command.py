"""`minicnn summary MODEL`: layers, output shapes, groups, parameters, MACs, receptive fields
and activation memory of a zoo model (of --variant, for a model that has several), at its
native input size or at --input."""
from ..nn.summary import summary
from . import zoo
from .arg_types import input_size, positive_int
from .errors import user_input


def add_parser(commands):
    """The `summary` subcommand."""
    parser = commands.add_parser("summary", help="layers, output shapes, groups, parameters, "
                                 "MACs, receptive fields and activation memory")
    parser.add_argument("model", help="a model of `minicnn models`, e.g. resnet18")
    parser.add_argument("--variant", help="the model's variant, for models that have several "
                        "(lenet5: modern, classic; alexnet, googlenet: torchvision, paper)")
    parser.add_argument("--input", type=input_size, default=None, metavar="C,H,W",
                        help="input size (default: the model's native size)")
    parser.add_argument("--depth", type=positive_int, default=None,
                        help="report the modules this many levels down instead of every layer")
    return parser


def run(args):
    entry = zoo.lookup(args.model)
    entry.check_variant(args.variant)
    variant = {} if args.variant is None else {"variant": args.variant}
    model = entry.construct_for_input(args.input, **variant)
    if args.input is None:
        summary(model, getattr(model, "input_size", (3, 224, 224)), depth=args.depth)
        return 0
    with user_input(f"--input {','.join(map(str, args.input))}"):  # too small, or the wrong size
        summary(model, args.input, depth=args.depth)
    return 0
