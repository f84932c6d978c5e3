"""`minicnn exercises [NAME]`: the exercises a learner can solve and check with `minicnn check`,
each with the signature to write and what it computes, its arrays' layouts included."""
import difflib

from ..exercises import EXERCISES
from .errors import UsageError

def add_parser(commands):
    """The `exercises` subcommand."""
    parser = commands.add_parser("exercises", help="list the exercises that `minicnn check` "
                                 "checks, with their signatures")
    parser.add_argument("name", nargs="?", help="show this exercise only")
    return parser


def lookup(name):
    """The exercise called `name`; an unknown name is a UsageError with the closest names."""
    if name in EXERCISES:
        return EXERCISES[name]
    close = difflib.get_close_matches(name, EXERCISES, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise UsageError(f"unknown exercise {name!r}; {hint}`minicnn exercises` lists the "
                     f"{len(EXERCISES)} exercises")


def run(args):
    chosen = [lookup(args.name)] if args.name else list(EXERCISES.values())
    for exercise in chosen:
        print(exercise.signature)
        for line in exercise.description.splitlines():
            print(f"    {line}")
        print()
    if not args.name:
        print(f"{len(chosen)} exercises; check a solution with `minicnn check NAME FILE`, "
              f"FILE defining the function NAME in NumPy")
    return 0
