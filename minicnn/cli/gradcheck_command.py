"""`minicnn gradcheck`: backprop against central differences for every differentiable op,
and for conv2d under every algorithm of its selector (--algorithm picks one).

Each row shows the largest absolute and relative differences, and at the element nearest to
failing (where the difference takes the largest share of what the rule allows) the analytic
gradient, the numeric one and the difference the rule allows there. The pass rule, printed
under the table: |analytic − numeric| ≤ atol + rtol·|numeric| at every element of every
input's gradient, the numeric gradient by central differences in float64.
"""
from ..creation import tensor
from ..functional.conv_select import ALGORITHMS
from ..gradcheck import compare_gradients
from .arg_types import nonnegative_float
from .errors import UsageError
from .op_catalog import catalog, conv_row, make_inputs

EPS = 1e-6
ALL = "all"


def add_parser(commands):
    """The `gradcheck` subcommand."""
    parser = commands.add_parser("gradcheck", help="numerical gradient check of every op")
    parser.add_argument("ops", nargs="*", help="only the ops whose name contains these")
    parser.add_argument("--algorithm", choices=[ALL, *ALGORITHMS], default=ALL,
                        help="check conv2d under this algorithm only, and no other op "
                             "(default: every op, conv2d under every algorithm)")
    parser.add_argument("--atol", type=nonnegative_float, default=1e-5,
                        help="absolute tolerance (default: %(default)s)")
    parser.add_argument("--rtol", type=nonnegative_float, default=1e-3,
                        help="relative tolerance (default: %(default)s)")
    return parser


def _selected(entries, ops, algorithm):
    """The catalog names the arguments pick."""
    names = [n for n in entries if not ops or any(key in n for key in ops)]
    if algorithm != ALL:
        names = [n for n in names if n == conv_row(algorithm)]
    if not names:
        raise UsageError(f"no op name contains any of {ops}"
                         + (f" under --algorithm {algorithm}" if algorithm != ALL else "")
                         + f"; the ops are: {', '.join(entries)}")
    return names


def _rule_lines(atol, rtol, names):
    """The lines under the table: what the columns show, the pass rule, and which rows take
    their analytic gradient from im2col."""
    lines = ["analytic, numeric, allowed: at the element nearest to failing",
             "pass rule: |analytic − numeric| ≤ allowed = atol + rtol·|numeric| at every "
             "element of",
             f"  every input's gradient, atol={atol:g}, rtol={rtol:g}",
             f"numeric: central differences (L(x + eps) − L(x − eps)) / 2·eps, eps={EPS:g}, in "
             f"float64,",
             "  of L = Σ output · r for a fixed random r; analytic: backprop of the same L"]
    forward_only = [conv_row(a) for a, info in ALGORITHMS.items()
                    if info.forward_only and conv_row(a) in names]
    if forward_only:
        lines += [f"{', '.join(forward_only)}: forward pass only;",
                  "  the numeric gradient of that forward is checked against im2col's analytic "
                  "one"]
    return lines


def run(args):
    """Print one row per op and the pass rule; exit status 1 if any op fails."""
    entries = catalog()
    names = _selected(entries, args.ops, args.algorithm)
    width = max(len(n) for n in names + ["op"])
    print(f"{'op':<{width}}  {'max abs err':>11}  {'max rel err':>11}  {'analytic':>12}  "
          f"{'numeric':>12}  {'allowed':>9}  result")
    failures = 0
    for name in names:
        fn, shapes, kind = entries[name]
        inputs = [tensor(a, requires_grad=True) for a in make_inputs(shapes, kind)]
        result = compare_gradients(fn, inputs, eps=EPS, atol=args.atol, rtol=args.rtol)
        failures += not result.passed
        print(f"{name:<{width}}  {result.max_abs:11.2e}  {result.max_rel:11.2e}  "
              f"{result.analytic:12.5e}  {result.numeric:12.5e}  {result.allowed:9.2e}  "
              f"{'pass' if result.passed else 'FAIL'}")
    print()
    for line in _rule_lines(args.atol, args.rtol, names):
        print(line)
    print(f"{len(names) - failures} passed, {failures} failed")
    return 1 if failures else 0
