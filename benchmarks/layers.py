"""Where a network's inference time goes, layer by layer, minicnn against PyTorch.

    python -m benchmarks.layers resnet18_cifar [--threads N] [--repeats R] [--settle MS]
                                               [--top K] [--json PATH]

Builds the model row's network in both libraries (benchmarks.models.build_pair: the same
architecture and weights), puts both in eval mode and times every leaf module (one with no
submodules) by a forward pre-hook and a forward hook, over `repeats` forwards under no_grad
that alternate between the libraries after one warm-up forward each; before each forward
every core spins for `settle` (as in the main harness, rest.py), so that the other
library's idle threads are asleep when the first leaves run. Per leaf it prints the
median time in each library, the difference and the ratio, with minicnn's convolution
algorithm (F.conv_algorithm) and the input shape; the leaves with the largest differences
come first. Then the same summed by layer type, and the whole forward with the time spent
inside all the leaves and outside them (additions of residual branches, concatenations,
reshapes: the glue between layers), each the median over the forwards of that forward's
figure. The hooks cost the same few microseconds per leaf in both libraries, so
the whole forward here runs slower than in the models suite; compare differences, not the
absolute figures.
"""
import argparse
import json
import statistics
import sys
import time
from collections import defaultdict

from .harness import apply_threads, set_threads
from .models import ROWS_BY_KEY, build_pair, make_batch

DEFAULT_REPEATS = 5
DEFAULT_SETTLE_MS = 20.0
DEFAULT_TOP = 20


def leaves(model):
    """(name, module) of every module without submodules."""
    return [(name, module) for name, module in model.named_modules()
            if not any(True for _ in module.children())]


class LeafTimer:
    """Hooks on every leaf of `model` that add each leaf's forward time to `times[name]`."""

    def __init__(self, model):
        self.times = defaultdict(list)
        self.inputs = {}
        self._started = {}
        for name, module in leaves(model):
            module.register_forward_pre_hook(self._pre(name))
            module.register_forward_hook(self._post(name))

    def _pre(self, name):
        def hook(module, args):
            self.inputs.setdefault(name, (module, args[0] if args else None))
            self._started[name] = time.perf_counter()
        return hook

    def _post(self, name):
        def hook(module, args, output):
            self.times[name].append(time.perf_counter() - self._started.pop(name))
        return hook

    def per_forward(self, forwards):
        """Median over `forwards` forwards of each leaf's summed time in one forward (a leaf
        called k times a forward has k entries per forward), in ms."""
        result = {}
        for name, times in self.times.items():
            calls = len(times) // forwards
            result[name] = statistics.median(sum(times[i * calls:(i + 1) * calls]) * 1e3
                                             for i in range(forwards))
        return result

    def forward_totals(self, forwards):
        """Each forward's time inside all the leaves together, in ms."""
        totals = [0.0] * forwards
        for times in self.times.values():
            calls = len(times) // forwards
            for i in range(forwards):
                totals[i] += sum(times[i * calls:(i + 1) * calls]) * 1e3
        return totals


def _algorithm(module, x):
    """minicnn's conv algorithm for a Conv2d leaf's input, else ""."""
    import minicnn as mc

    if not isinstance(module, mc.nn.Conv2d):
        return ""
    with mc.no_grad():
        return mc.nn.functional.conv_algorithm(
            x, module.weight, module.stride, module.padding, module.dilation, module.groups)


def profile(key, repeats, settle=DEFAULT_SETTLE_MS / 1e3):
    """The per-leaf and whole-forward medians (ms) of both libraries for model row `key`,
    each forward after `settle` seconds of every core spinning."""
    import torch

    import minicnn as mc

    from .rest import busy_rest                 # Numba, so NumPy, only once threads are set

    row = ROWS_BY_KEY[key]
    ours, theirs = build_pair(row)
    ours.eval()
    theirs.eval()
    x, _ = make_batch(row)
    mc_x, torch_x = mc.tensor(x), torch.tensor(x)
    timers = {"minicnn": LeafTimer(ours), "torch": LeafTimer(theirs)}
    runs = {"minicnn": lambda: ours(mc_x), "torch": lambda: theirs(torch_x)}
    whole = defaultdict(list)
    with mc.no_grad(), torch.no_grad():
        for lib, run in runs.items():                                  # warm-up
            run()
            timers[lib].times.clear()
        for _ in range(repeats):
            for lib, run in runs.items():
                if settle:
                    busy_rest(settle)
                start = time.perf_counter()
                run()
                whole[lib].append((time.perf_counter() - start) * 1e3)
    ours_leaves = timers["minicnn"].per_forward(repeats)
    theirs_leaves = timers["torch"].per_forward(repeats)
    rows = []
    for name, module in leaves(ours):
        if name not in ours_leaves:
            continue
        _, leaf_input = timers["minicnn"].inputs[name]
        rows.append({"leaf": name, "type": type(module).__name__,
                     "input": list(getattr(leaf_input, "shape", ())),
                     "algorithm": _algorithm(module, leaf_input),
                     "minicnn_ms": ours_leaves[name], "torch_ms": theirs_leaves.get(name, 0.0)})
    inside = {lib: timers[lib].forward_totals(repeats) for lib in runs}
    return {"row": row.name, "repeats": repeats, "settle_ms": settle * 1e3, "leaves": rows,
            "forward_ms": {lib: statistics.median(t) for lib, t in whole.items()},
            "leaves_ms": {lib: statistics.median(t) for lib, t in inside.items()},
            "outside_ms": {lib: statistics.median(w - i for w, i in zip(whole[lib], inside[lib]))
                           for lib in runs}}


def _ratio(a, b):
    return f"{a / b:.2f}" if b > 0 else "—"


def tables(result, top):
    """The report's markdown: the `top` leaves by difference, the types, the whole forward."""
    leaves_by_gap = sorted(result["leaves"], key=lambda r: r["torch_ms"] - r["minicnn_ms"])
    lines = [f"{result['row']} inference, medians of {result['repeats']} forwards (ms)", "",
             "| leaf | type | input | minicnn algorithm | minicnn | torch | difference | ratio |",
             "|---|---|---|---|---|---|---|---|"]
    for r in leaves_by_gap[:top]:
        shape = "×".join(map(str, r["input"]))
        lines.append(f"| {r['leaf']} | {r['type']} | {shape} | {r['algorithm']} | "
                     f"{r['minicnn_ms']:.3f} | {r['torch_ms']:.3f} | "
                     f"{r['minicnn_ms'] - r['torch_ms']:+.3f} | "
                     f"{_ratio(r['minicnn_ms'], r['torch_ms'])} |")
    by_type = defaultdict(lambda: [0.0, 0.0, 0])
    for r in result["leaves"]:
        key = r["type"] + (f" ({r['algorithm']})" if r["algorithm"] else "")
        by_type[key][0] += r["minicnn_ms"]
        by_type[key][1] += r["torch_ms"]
        by_type[key][2] += 1
    lines += ["", "| layer type | count | minicnn | torch | difference | ratio |",
              "|---|---|---|---|---|---|"]
    for key, (ours, theirs, count) in sorted(by_type.items(), key=lambda kv: kv[1][1] - kv[1][0]):
        lines.append(f"| {key} | {count} | {ours:.2f} | {theirs:.2f} | {ours - theirs:+.2f} | "
                     f"{_ratio(ours, theirs)} |")
    lines += ["", "| | minicnn | torch | difference | ratio |", "|---|---|---|---|---|"]
    for label, values in (("leaves", result["leaves_ms"]),
                          ("outside the leaves", result["outside_ms"]),
                          ("whole forward", result["forward_ms"])):
        lines.append(f"| {label} | {values['minicnn']:.2f} | {values['torch']:.2f} | "
                     f"{values['minicnn'] - values['torch']:+.2f} | "
                     f"{_ratio(values['minicnn'], values['torch'])} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.layers",
                                     description="Per-layer inference times of a model row, "
                                                 "minicnn against PyTorch")
    parser.add_argument("row", choices=sorted(ROWS_BY_KEY), help="the model row's key")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both libraries (default: all cores)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help=f"timed forwards per library (default {DEFAULT_REPEATS})")
    parser.add_argument("--settle", type=float, default=DEFAULT_SETTLE_MS, metavar="MS",
                        help="untimed rest before each forward, every core spinning, so that "
                             f"the other library's idle threads are asleep (default: "
                             f"{DEFAULT_SETTLE_MS:g} ms)")
    parser.add_argument("--top", type=int, default=DEFAULT_TOP,
                        help=f"leaves shown, largest difference first (default {DEFAULT_TOP})")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    for name in ("threads", "repeats", "top"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.exit(2, f"python -m benchmarks.layers: --{name} must be at least 1, "
                           f"got {value}\n")
    if not args.settle >= 0:
        parser.exit(2, f"python -m benchmarks.layers: --settle must be at least 0, got "
                       f"{args.settle:g}\n")
    if args.threads is not None:
        set_threads(args.threads)
        apply_threads(args.threads)
    result = profile(args.row, args.repeats, args.settle / 1e3)
    print(tables(result, args.top))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
