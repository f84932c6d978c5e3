"""No timing figures in the library's code, docstrings or comments: what was measured, and
when, lives in benchmarks/NOTES.md, and the code keeps only the what and the why. The scan
covers minicnn/ and kernels/ (.py, .cu, .cuh) and lists file:line for every figure."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED_DIRS = ("minicnn", "kernels")
SUFFIXES = (".py", ".cu", ".cuh")

NUMBER = r"\d+(?:[.,]\d+)?"
TIMING_FIGURES = re.compile(
    rf"(?<![\w.]){NUMBER}\s?(?:ms|µs|us|ns)\b"                          # 12 ms, 1.7 ns, 50 µs
    rf"|(?<![\w.]){NUMBER}\s?(?:[GMT]B/s|[GMT]FLOP/s|[GMT]FLOPS)"       # 160 GFLOP/s, 20 GB/s
    rf"|(?<![\w.]){NUMBER}\s?(?:[x×%]|times)\s+(?:faster|slower)"       # 3x faster, 15% slower
    rf"|(?<![\w.]){NUMBER}\s?(?:page\s)?faults\b",                      # 6100 page faults
    re.IGNORECASE)


def timing_figures(text):
    """(line number, line) of every line of `text` that holds a timing figure."""
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1)
            if TIMING_FIGURES.search(line)]


def scanned_files():
    for name in SCANNED_DIRS:
        for path in sorted((ROOT / name).rglob("*")):
            relative = path.relative_to(ROOT).as_posix()
            if path.suffix in SUFFIXES and path.is_file():
                yield relative, path


@pytest.mark.parametrize("line, found", [
    ("# 10.9 -> 1.9 ms forward", True),
    ("(1.7 ns an element)", True),
    ("≈50 µs each", True),
    ("64 GFLOP/s on one core", True),
    ("reads 20 GB/s", True),
    ("3-5x faster on 4×4 outputs", True),
    ("nothing vectorised: 10× slower", True),
    ("2 times slower", True),
    ("13-17% faster at 32x32", True),
    ("6100 page faults per step -> 6", True),
    ("6 faults per step", True),
    ("2.25× fewer multiplications", False),
    ("1.07 GFLOP instead of 2.4", False),
    ("settle = 20.0  # seconds", False),
    ("x_ms = 3; items = 4", False),
    ("a page fault on every page", False),
])
def test_the_pattern_tells_figures_from_other_numbers(line, found):
    assert bool(TIMING_FIGURES.search(line)) is found


def test_no_timing_figures_in_library_sources():
    hits = [f"{relative}:{number}: {line}" for relative, path in scanned_files()
            for number, line in timing_figures(path.read_text(encoding="utf-8"))]
    assert not hits, ("timing figures belong in benchmarks/NOTES.md, not in the code:\n"
                      + "\n".join(hits))
