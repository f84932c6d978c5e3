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
    return layers.profile("lenet5", repeats=2, settle=0.002)


def test_each_forward_follows_a_busy_rest(monkeypatch):
    """Every timed forward of either library comes after its rest, as in the main harness."""
    from benchmarks import rest
    rests = []
    monkeypatch.setattr(rest, "busy_rest", rests.append)
    result = layers.profile("lenet5", repeats=3, settle=0.005)
    assert rests == [0.005] * 6 and result["settle_ms"] == 5.0


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
    (["lenet5", "--settle", "-5"], "--settle must be at least 0, got -5"),
    (["lenet5", "--settle", "nan"], "--settle must be at least 0, got nan"),
    (["no_such_row"], "invalid choice: 'no_such_row'"),
])
def test_bad_options_are_refused_in_one_line(args, message):
    done = subprocess.run([sys.executable, "-m", "benchmarks.layers", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_forward_totals_sum_each_forward_over_every_leaf_and_call():
    """A leaf called twice a forward counts both calls; the totals are per forward, so that
    the time outside the leaves is each forward's own difference (then the median)."""
    timer = layers.LeafTimer.__new__(layers.LeafTimer)
    timer.times = {"twice": [1e-3, 2e-3, 3e-3, 4e-3], "once": [1e-3, 5e-3]}
    assert timer.forward_totals(2) == pytest.approx([4.0, 12.0])


def test_outside_the_leaves_is_the_median_of_each_forwards_difference(lenet_profile):
    for lib in ("minicnn", "torch"):
        assert 0 < lenet_profile["leaves_ms"][lib] <= lenet_profile["forward_ms"][lib] * 1.5
        assert 0 <= lenet_profile["outside_ms"][lib] < lenet_profile["forward_ms"][lib]
