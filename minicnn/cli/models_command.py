"""`minicnn models`: every model `minicnn train` builds, with its constructor's parameters,
its native input size and a one-line description."""
from . import zoo


def add_parser(commands):
    """The `models` subcommand."""
    parser = commands.add_parser("models", help="list the models, with their parameters, "
                                 "input sizes and descriptions")
    parser.add_argument("--filter", metavar="TEXT",
                        help="only the models whose name or description contains TEXT "
                             "(case-insensitive)")
    return parser


def run(args):
    entries = list(zoo.catalog().values())
    if args.filter:
        text = args.filter.lower()
        entries = [e for e in entries if text in e.name.lower() or
                   text in e.description.lower()]
    for entry in entries:
        rule = entry.rule
        size = f"{entry.native_channels}×{rule.native}×{rule.native}"
        smallest = "only" if rule.fixed else \
            f"trains from {rule.minimum}×{rule.minimum}" + \
            "".join(f", {variant}: {side}×{side}" for variant, side in rule.variant_minimum) + \
            (f", sides a multiple of {rule.multiple}" if rule.multiple > 1 else "")
        print(entry.signature)
        print(f"    {entry.description}")
        print(f"    input {size} ({smallest}); family {entry.family}")
    print(f"{len(entries)} models" + (f" matching {args.filter!r}" if args.filter else ""))
    return 0
