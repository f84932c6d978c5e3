"""The `minicnn` command (also `python -m minicnn`): train, evaluate, predict, visualize,
export,
models, summary, gradcheck, exercises, check, bench, info.

Every user error (a bad number, an unknown model, a missing dataset, an input a model cannot
take) ends the command with one line on stderr, `minicnn CMD: error: ...`, and exit status
2: argparse's own errors, and the UsageErrors that the commands raise (see errors.py for how
the library's refusals of a typed value become one). Any other exception is a bug and keeps
its traceback. Ctrl-C ends with status 130 and one line (during training, after writing a
checkpoint and printing the command that resumes it).
"""
import argparse
import os
import sys

from ..version import __version__
from . import (bench_command, check_command, evaluate_command, exercises_command,
               export_command, gradcheck_command, info_command, models_command,
               predict_command, summary_command, train_command, visualize_command)
from .errors import UsageError, one_line

INTERRUPTED = 130

COMMANDS = {"train": train_command, "evaluate": evaluate_command,
            "predict": predict_command, "visualize": visualize_command,
            "export": export_command, "models": models_command,
            "summary": summary_command, "gradcheck": gradcheck_command,
            "exercises": exercises_command, "check": check_command,
            "bench": bench_command, "info": info_command}


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, `prog: error: message`, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def parser():
    top = Parser(prog="minicnn", description="minicnn: train, inspect and check networks "
                 "built from scratch")
    top.add_argument("--version", action="version", version=f"minicnn {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                  parser_class=Parser)
    for command in COMMANDS.values():
        command.add_parser(commands)
    return top


def _stdout_closed():
    """Quiet exit when stdout's reader went away (`minicnn models | head`)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1


def main(argv=None):
    top = parser()
    args = top.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)    # for a relaunch (--nproc)
    prog = f"minicnn {args.command}"
    try:
        return COMMANDS[args.command].run(args)
    except UsageError as error:
        print(f"{prog}: error: {one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        return _stdout_closed()


if __name__ == "__main__":
    sys.exit(main())
