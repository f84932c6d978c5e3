"""Running a PyTorch program twice: as written (with torch and torchvision) and with only its
import lines changed to minicnn's import contract (README, "Running PyTorch programs").

A program in programs/ is plain PyTorch. It takes one argument, a work folder holding the
data the test wrote (`data/`); programs/_shared.py (plain Python and NumPy, given the
program's `torch`) saves its models' initial weights there on the first run and loads them on
the second, so that where the two runs draw the same data their numbers can be compared. Its
last line of output is `RESULT <json>` with
  shapes   {name: shape}                  equal in both runs,
  losses   {name: [loss, ...]}             finite, and lower at the end than at the start,
  values   {name: number or nested list}   close in both runs (weights copied, same data),
  checks   {name: bool}                    true in both runs.
"""
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = Path(__file__).resolve().with_name("programs")

# The import contract: each PyTorch import line and the minicnn line that replaces it.
_IMPORT_RULES = [
    (re.compile(r"^import torch$"), "import minicnn as torch"),
    (re.compile(r"^import torch\.([\w.]+) as (\w+)$"), r"import minicnn.\1 as \2"),
    (re.compile(r"^import torch\.([\w.]+)$"), r"import minicnn.\1"),
    (re.compile(r"^from torch import (.+)$"), r"from minicnn import \1"),
    (re.compile(r"^from torch\.([\w.]+) import (.+)$"), r"from minicnn.\1 import \2"),
    (re.compile(r"^from torchvision import (.+)$"), r"from minicnn.vision import \1"),
    (re.compile(r"^from torchvision\.([\w.]+) import (.+)$"),
     r"from minicnn.vision.\1 import \2"),
]


def as_minicnn(source):
    """The program with its torch and torchvision import lines swapped for minicnn's; every
    other line is left as it is (and a line that mentions torch outside an import at the top
    level of the file is refused: the swap would not reach it)."""
    lines = []
    for number, line in enumerate(source.splitlines(), 1):
        for pattern, replacement in _IMPORT_RULES:
            if pattern.match(line):
                line = pattern.sub(replacement, line)
                break
        else:
            if re.match(r"^\s*(import|from)\s+torch", line):
                raise ValueError(f"line {number}: an import the contract does not cover: "
                                 f"{line!r}")
        lines.append(line)
    return "\n".join(lines) + "\n"


def imported_modules(source):
    """The top-level modules a program imports (to skip the PyTorch run where one is missing)."""
    names = set()
    for line in source.splitlines():
        match = re.match(r"^(?:from|import)\s+(\w+)", line)
        if match:
            names.add(match.group(1))
    return names


def run_program(source, workdir, name, timeout=600):
    """Run `source` as a script in a fresh interpreter with the work folder as its argument;
    the parsed RESULT line."""
    script = Path(workdir) / f"{name}.py"
    script.write_text(source)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), str(PROGRAMS), os.environ.get("PYTHONPATH")])),
        OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    proc = subprocess.run([sys.executable, str(script), str(workdir)], capture_output=True,
                          text=True, timeout=timeout, cwd=workdir, env=env)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stderr[-4000:]}"
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT "), f"{name} printed no RESULT line:\n{proc.stdout[-2000:]}"
    return json.loads(last[len("RESULT "):])


def check_own_result(result, name):
    """What one run must show alone: finite losses that went down, and its checks true."""
    for key, losses in result.get("losses", {}).items():
        assert losses and all(math.isfinite(v) for v in losses), (name, key, losses)
        assert losses[-1] < losses[0], (name, key, losses)
    for key, passed in result.get("checks", {}).items():
        assert passed is True, (name, key)


def _assert_close(ours, theirs, rtol, atol, where):
    """Dicts key by key, strings and lists of strings equal, numbers within tolerance."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and set(ours) == set(theirs), where
        for key in theirs:
            _assert_close(ours[key], theirs[key], rtol, atol, f"{where}[{key!r}]")
    elif isinstance(theirs, str) or (isinstance(theirs, list) and theirs
                                     and all(isinstance(v, str) for v in theirs)):
        assert ours == theirs, where
    else:
        np.testing.assert_allclose(np.asarray(ours, dtype=np.float64),
                                   np.asarray(theirs, dtype=np.float64), rtol=rtol, atol=atol,
                                   err_msg=where)


def compare_results(theirs, ours, rtol, atol):
    """The two runs agree: the same keys, shapes and checks, and values within tolerance."""
    assert set(theirs) == set(ours)
    for section in theirs:
        assert set(theirs[section]) == set(ours[section]), section
    assert theirs.get("shapes", {}) == ours.get("shapes", {})
    _assert_close(ours.get("values", {}), theirs.get("values", {}), rtol, atol, "values")
