"""Argument types for the command's numbers and sizes: each checks its range, so that a bad
value is refused by argparse in one line (`argument --epochs: ...`) before any work starts."""
import argparse
import math


def _number(text, cast, kind):
    try:
        value = cast(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def int_at_least(low):
    """An integer ≥ `low`."""
    def parse(text):
        value = _number(text, int, "an integer")
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {text}")
        return value
    parse.__name__ = f"integer >= {low}"
    return parse


def float_in(low, high=math.inf, low_open=False, high_open=True):
    """A finite float in the interval from `low` to `high`, each end open or closed."""
    lower, upper = ("(" if low_open else "["), (")" if high_open else "]")
    interval = f"{lower}{low:g}, {high:g}{upper}" if high != math.inf else None

    def parse(text):
        value = _number(text, float, "a number")
        too_low = value <= low if low_open else value < low
        too_high = value >= high if high_open else value > high
        if too_low or too_high:
            rule = f"in {interval}" if interval else \
                (f"greater than {low:g}" if low_open else f"at least {low:g}")
            raise argparse.ArgumentTypeError(f"must be {rule}, got {text}")
        return value
    parse.__name__ = "number"
    return parse


def input_size(text):
    """C,H,W: three positive integers, e.g. 3,224,224."""
    parts = text.split(",")
    try:
        values = tuple(int(v) for v in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected C,H,W as three positive integers (e.g. "
                                         f"3,224,224), got {text!r}")
    return values


positive_int = int_at_least(1)
nonnegative_int = int_at_least(0)
positive_float = float_in(0.0, low_open=True)
nonnegative_float = float_in(0.0)
