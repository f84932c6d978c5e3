"""`minicnn gradcheck`: backprop against central differences for every differentiable op."""
from ..creation import tensor
from ..gradcheck import gradient_errors
from .arg_types import nonnegative_float
from .errors import UsageError
from .op_catalog import catalog, make_inputs


def add_parser(commands):
    """The `gradcheck` subcommand."""
    parser = commands.add_parser("gradcheck", help="numerical gradient check of every op")
    parser.add_argument("ops", nargs="*", help="only the ops whose name contains these")
    parser.add_argument("--atol", type=nonnegative_float, default=1e-5,
                        help="absolute tolerance (default: %(default)s)")
    parser.add_argument("--rtol", type=nonnegative_float, default=1e-3,
                        help="relative tolerance (default: %(default)s)")
    return parser


def run(args):
    """Print op, max abs error, max rel error, pass/fail; exit status 1 if any op fails."""
    entries = catalog()
    names = [n for n in entries if not args.ops or any(key in n for key in args.ops)]
    if not names:
        raise UsageError(f"no op name contains any of {args.ops}; the ops are: "
                         f"{', '.join(entries)}")
    width = max(len(n) for n in names)
    print(f"{'op':<{width}}  {'max abs err':>12}  {'max rel err':>12}  result")
    failures = 0
    for name in names:
        fn, shapes, kind = entries[name]
        inputs = [tensor(a, requires_grad=True) for a in make_inputs(shapes, kind)]
        worst_abs, worst_rel, ok = gradient_errors(fn, inputs, atol=args.atol, rtol=args.rtol)
        failures += not ok
        print(f"{name:<{width}}  {worst_abs:12.2e}  {worst_rel:12.2e}  {'pass' if ok else 'FAIL'}")
    print(f"{len(names) - failures} passed, {failures} failed")
    return 1 if failures else 0
