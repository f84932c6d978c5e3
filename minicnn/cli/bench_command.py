"""`minicnn bench`: the benchmarks against PyTorch, the same as `python -m benchmarks`.

The benchmarks/ package ships with the source tree, beside minicnn/; it is found there (a
source checkout or an editable install) or in the current folder.
"""
import os
import sys

_SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MISSING = ("minicnn bench: the benchmarks/ folder of minicnn's source tree was not found "
           "(looked beside the installed package and in the current folder); run it from a "
           "source checkout: pip install '.[torch]' && minicnn bench")


def _benchmarks_cli():
    """benchmarks.cli from beside this package or from the current folder, else None."""
    for root in (_SOURCE_ROOT, os.getcwd()):
        if os.path.isfile(os.path.join(root, "benchmarks", "cli.py")):
            if root not in sys.path:
                sys.path.insert(0, root)
            try:    # importable only now that `root` is on sys.path: benchmarks/ is not installed
                from benchmarks import cli
            except ImportError:
                return None
            return cli if hasattr(cli, "add_arguments") else None
    return None


def add_parser(commands):
    """The `bench` subcommand, with benchmarks' own options when the folder is found."""
    bench = commands.add_parser("bench", help="time minicnn against PyTorch, op by op and "
                                "network by network (benchmarks/)")
    cli = _benchmarks_cli()
    if cli is None:
        bench.description = MISSING
    else:
        cli.add_arguments(bench)
    return bench


def run(args):
    cli = _benchmarks_cli()
    if cli is None:
        raise SystemExit(MISSING)
    return cli.run(args)
