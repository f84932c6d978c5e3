"""`minicnn check NAME FILE`: import the function NAME from the Python file FILE and check it
against the engine on the exercise's random float64 cases (see `minicnn exercises`).

It prints PASS, or FAIL with the first case it fails: which output is wrong (or what it
raised), the largest error, the worst element and, for small outputs, both arrays. Exit
status 0 on pass, 1 on fail; a FILE that does not exist, cannot be imported or defines no
NAME is a usage error (one line, status 2)."""
import importlib.util
import os
import sys

from ..exercises import check
from .arg_types import nonnegative_int
from .errors import UsageError, one_line
from .exercises_command import lookup


def add_parser(commands):
    """The `check` subcommand."""
    parser = commands.add_parser("check", help="check an exercise's solution against the "
                                 "engine (see `minicnn exercises`)")
    parser.add_argument("name", help="the exercise, and the function FILE defines for it")
    parser.add_argument("file", help="the Python file with the solution")
    parser.add_argument("--seed", type=nonnegative_int, default=0,
                        help="seed of the random cases (default: %(default)s)")
    return parser


def load_function(path, name):
    """The function `name` of the Python file at `path`, imported with its folder on the
    import path (so it may import its neighbours); a UsageError where there is none."""
    if not os.path.isfile(path):
        raise UsageError(f"{path}: no such file")
    spec = importlib.util.spec_from_file_location("minicnn_solution", path)
    if spec is None:
        raise UsageError(f"{path}: not a Python file (name it *.py)")
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:
        raise UsageError(f"{path}: importing it raised {type(error).__name__}: "
                         f"{one_line(error)}") from None
    finally:
        sys.path.remove(folder)
    function = getattr(module, name, None)
    if function is None:
        raise UsageError(f"{path} defines no {name}; write `def {name}(...)` there")
    if not callable(function):
        raise UsageError(f"{path}: {name} is a {type(function).__name__}, not a function")
    return function


def run(args):
    exercise = lookup(args.name)
    result = check(exercise, load_function(args.file, args.name), args.seed)
    for line in result.lines():
        print(line)
    return 0 if result.passed else 1
