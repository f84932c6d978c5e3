"""Checking a solution against the engine: `check(exercise, fn, seed)` calls fn on every case
of the exercise (float64, smallest first) and compares each output with the engine's answer,
stopping at the first case where one is wrong, raised, or has the wrong shape."""
import traceback
from dataclasses import dataclass

import numpy as np

# a solution's output passes where |got − expected| ≤ RTOL·|expected| + ATOL·max(1, max|expected|)
RTOL, ATOL = 1e-6, 1e-8
# outputs up to this many elements are printed whole when wrong: a small example to compare
SMALL = 60


@dataclass(frozen=True)
class Failure:
    """The first case a solution fails: its number (from 1), its arguments described, what
    is wrong (`problem`, one line; `output` names the wrong output where there is one), and
    further lines to show (the worst element, the arrays of a small example, a traceback)."""

    case: int
    arguments: str
    problem: str
    output: str = None
    details: tuple = ()


@dataclass(frozen=True)
class Result:
    """What `check` found: the exercise, the seed, the number of cases, and the failure
    (None where every case passed)."""

    exercise: object
    seed: int
    cases: int
    failure: Failure = None

    @property
    def passed(self):
        return self.failure is None

    def lines(self):
        """The report, line by line."""
        name = self.exercise.name
        if self.passed:
            outputs = self.exercise.outputs
            verb = "matches" if len(outputs) == 1 else "match"
            return [f"PASS  {name}: {', '.join(outputs)} {verb} the engine's on all "
                    f"{self.cases} cases (float64, seed {self.seed})"]
        f = self.failure
        return [f"FAIL  {name}: {f.problem}",
                f"  case {f.case} of {self.cases} (seed {self.seed}): {f.arguments}",
                *(f"  {line}" for line in f.details)]


def describe(exercise, args):
    """A case's arguments in words: arrays by shape, other values as they are."""
    words = []
    for name, value in zip(exercise.parameters, args):
        if isinstance(value, np.ndarray):
            words.append(f"{name} {tuple(value.shape)}")
        else:
            words.append(f"{name}={value!r}")
    return ", ".join(words)


class _Wrong(Exception):
    """A solution's output is wrong: problem (one line), the output's name, details."""

    def __init__(self, problem, output=None, details=()):
        super().__init__(problem)
        self.problem, self.output, self.details = problem, output, details


def _outputs(exercise, returned):
    """The arrays a solution returned, one per output of the exercise (or _Wrong)."""
    names = exercise.outputs
    if len(names) == 1:
        returned = (returned,)
    elif not isinstance(returned, (tuple, list)) or len(returned) != len(names):
        count = (f"{len(returned)} values" if isinstance(returned, (tuple, list)) else
                 "one value, not a tuple")
        raise _Wrong(f"returned {count}; it should return {len(names)}: ({', '.join(names)})")
    arrays = []
    for name, value in zip(names, returned):
        if value is None:
            raise _Wrong(f"{name} is None; return it as an array", name)
        try:
            arrays.append(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError) as error:
            raise _Wrong(f"{name} is not an array of numbers ({type(value).__name__}: "
                         f"{error})", name) from None
    return arrays


def _compare(name, got, expected):
    """None where `got` equals `expected` within the tolerance, else a _Wrong naming `name`."""
    if got.shape != expected.shape:
        raise _Wrong(f"{name} has shape {got.shape}; it should have {expected.shape}", name)
    error = np.abs(got - expected)
    allowed = RTOL * np.abs(expected) + ATOL * max(1.0, float(np.abs(expected).max(initial=0)))
    bad = ~(error <= allowed)                                      # NaN counts as wrong
    if not bad.any():
        return
    wrongness = np.where(bad, np.nan_to_num(error, nan=np.inf), -1.0)
    index = np.unravel_index(int(np.argmax(wrongness)), error.shape)
    where = f"{name}[{', '.join(map(str, index))}]" if index else name
    details = [f"max error {np.max(error):.3g}; {int(bad.sum())} of {bad.size} elements wrong, "
               f"the worst {where}: expected {expected[index]:.6g}, got {got[index]:.6g}"]
    if expected.size <= SMALL:
        with np.printoptions(precision=4, suppress=True, linewidth=88):
            details += [f"expected {name}:", *str(expected).splitlines(),
                        f"got {name}:", *str(got).splitlines()]
    raise _Wrong(f"{name} is wrong", name, tuple(details))


def _raised(error):
    """The lines of a solution's exception, without the checker's own frame."""
    lines = traceback.format_exception(type(error), error, error.__traceback__.tb_next)
    text = "".join(lines).rstrip().splitlines()
    return f"raised {type(error).__name__}: {error}".splitlines()[0], tuple(text)


def check(exercise, fn, seed=0):
    """Run `fn` on every case of `exercise` drawn with `seed` and compare it with the engine:
    a Result, whose failure is the first case that is wrong."""
    cases = exercise.cases(np.random.default_rng(seed))
    for number, args in enumerate(cases, 1):
        expected = exercise.answer(*args)
        own = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
        arguments = describe(exercise, args)
        try:
            returned = fn(*own)
        except Exception as error:                    # the solution's own bug, shown to it
            problem, details = _raised(error)
            return Result(exercise, seed, len(cases), Failure(number, arguments, problem,
                                                              None, details))
        try:
            for name, got, want in zip(exercise.outputs, _outputs(exercise, returned),
                                       expected):
                _compare(name, got, want)
        except _Wrong as wrong:
            return Result(exercise, seed, len(cases), Failure(number, arguments, wrong.problem,
                                                              wrong.output, wrong.details))
    return Result(exercise, seed, len(cases))
