"""`minicnn info`: versions, threads, BLAS, process-wide tunings and CUDA, for bug reports."""
import json

from ..runtime import info


def add_parser(commands):
    """The `info` subcommand."""
    parser = commands.add_parser("info", help="versions, threads, BLAS libraries, the "
                                 "process-wide tunings in force and CUDA state")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def run(args):
    report = info()
    print(json.dumps(report, indent=2) if args.json else report)
    return 0
