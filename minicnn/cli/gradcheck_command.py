"""`minicnn gradcheck`: backprop against central differences for every differentiable op."""
from ..creation import tensor
from ..gradcheck import gradient_errors
from .op_catalog import catalog, make_inputs


def run(args):
    """Print op, max abs error, max rel error, pass/fail; exit status 1 if any op fails."""
    entries = catalog()
    names = [n for n in entries if not args.ops or any(key in n for key in args.ops)]
    if not names:
        raise SystemExit(f"minicnn gradcheck: no op name contains any of {args.ops}; the ops "
                         f"are: {', '.join(entries)}")
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
