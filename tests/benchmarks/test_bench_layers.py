"""`python -m benchmarks.layers`: every leaf module of a model row timed in both libraries,
minicnn's conv algorithm beside each convolution, the tables summing up to the whole forward,
and a one-line refusal of bad options. The timings themselves are not checked."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:                 # benchmarks/ sits beside minicnn/ in the tree
    sys.path.insert(0, str(ROOT))

pytest.importorskip("torch")

from benchmarks import layers  # noqa: E402


@pytest.fixture(scope="module")
def lenet_profile():
    return layers.profile("lenet5", repeats=2)


def test_every_leaf_is_timed_in_both_libraries(lenet_profile):
    names = [r["leaf"] for r in lenet_profile["leaves"]]
    assert names == [str(i) for i in range(12)]              # the Sequential's 12 leaves
    for r in lenet_profile["leaves"]:
        assert r["minicnn_ms"] > 0 and r["torch_ms"] > 0
    convs = [r for r in lenet_profile["leaves"] if r["type"] == "Conv2d"]
    assert [r["input"] for r in convs] == [[64, 1, 32, 32], [64, 6, 14, 14], [64, 16, 5, 5]]
    assert all(r["algorithm"] for r in convs)
    assert all(not r["algorithm"] for r in lenet_profile["leaves"] if r["type"] != "Conv2d")


def test_the_tables_cover_every_leaf_type_and_the_whole_forward(lenet_profile):
    text = layers.tables(lenet_profile, top=3)
    lines = text.splitlines()
    first_table = text.split("\n\n")[1].splitlines()
    assert first_table[0].startswith("| leaf |") and len(first_table) == 2 + 3   # --top 3
    for kind in ("Conv2d (", "ReLU", "MaxPool2d", "Linear", "Flatten"):
        assert any(line.startswith(f"| {kind}") for line in lines), kind
    assert any(line.startswith("| whole forward |") for line in lines)
    assert any(line.startswith("| outside the leaves |") for line in lines)


@pytest.mark.parametrize("args, message", [
    (["lenet5", "--repeats", "0"], "--repeats must be at least 1, got 0"),
    (["lenet5", "--top", "-1"], "--top must be at least 1, got -1"),
    (["no_such_row"], "invalid choice: 'no_such_row'"),
])
def test_bad_options_are_refused_in_one_line(args, message):
    done = subprocess.run([sys.executable, "-m", "benchmarks.layers", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
