"""`python -m benchmarks.ranges`: the ranges of each row's figures over several JSON runs,
rows in the first run's order, rows missing from some runs marked, and a one-line refusal
(exit status 2) of anything that is not a benchmark JSON. No timings are measured."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:                 # benchmarks/ sits beside minicnn/ in the tree
    sys.path.insert(0, str(ROOT))

from benchmarks import ranges, report  # noqa: E402

CONV = "conv3x3 N32 64→64 32² forward"
POOL = "maxpool 3×3/2 N32 C64 32² forward"
NET = "LeNet-5 N64 train step"


def _row(name, ours, theirs, rate=None):
    row = {"suite": "ops", "name": name, "ratio": ours / theirs,
           "minicnn": {"median_ms": ours, "min_ms": ours, "times_ms": [ours]},
           "torch": {"median_ms": theirs, "min_ms": theirs, "times_ms": [theirs]}}
    if rate is not None:
        row.update(flops=1e9, gflops={"minicnn": rate, "torch": rate / 2})
    return row


def _memory(ours, theirs):
    return {"name": NET, "key": "lenet5", "ratio": ours / theirs,
            "minicnn": {"peak_mb": ours, "baseline_mb": 100.0, "steps": 3, "method": "m"},
            "torch": {"peak_mb": theirs, "baseline_mb": 200.0, "steps": 3, "method": "m"}}


def _write(tmp_path, name, rows, memory=()):
    machine = {"cpu": "test cpu", "threads": 2, "load_average": [0.25, 0.5, 0.5]}
    path = tmp_path / name
    report.write_json(path, report.document(machine, {}, rows, list(memory)))
    return str(path)


@pytest.fixture
def runs(tmp_path):
    """Three runs: the conv row's times move, the pool row is missing from the second run,
    the network row only appears in the second."""
    return [_write(tmp_path, "a.json", [_row(CONV, 10.0, 20.0, 100.0), _row(POOL, 1.0, 2.0)],
                   [_memory(10.0, 20.0)]),
            _write(tmp_path, "b.json", [_row(CONV, 12.0, 16.0, 80.0), _row(NET, 5.0, 4.0)],
                   [_memory(12.0, 20.0)]),
            _write(tmp_path, "c.json", [_row(POOL, 1.5, 2.0), _row(CONV, 11.0, 22.0, 90.0)],
                   [_memory(11.0, 20.0)])]


def _table_lines(text, header_start):
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")),
               len(lines))
    return lines[start:end]


def test_timing_rows_give_ranges_the_median_ratio_and_the_conv_rate(runs, capsys):
    assert ranges.main([*runs, "--markdown"]) == 0
    lines = _table_lines(capsys.readouterr().out, "| row |")
    assert lines[0] == ("| row | minicnn median ms | torch median ms | minicnn / torch "
                        "| median of the ratios | minicnn GFLOP/s |")
    # conv: ratios 0.5, 0.75, 0.5 → median 0.5; the first file's order, the new row last
    assert lines[2:] == [
        f"| {CONV} | 10.00–12.00 | 16.00–22.00 | 0.50–0.75 | **0.50** | 80.0–100.0 |",
        f"| {POOL} (in 2 of 3 runs) | 1.00–1.50 | 2.00 | 0.50–0.75 | **0.62** |  |",
        f"| {NET} (in 1 of 3 runs) | 5.00 | 4.00 | 1.25 | **1.25** |  |"]


def test_memory_rows_give_peak_and_ratio_ranges(runs, capsys):
    assert ranges.main([*runs, "--markdown"]) == 0
    lines = _table_lines(capsys.readouterr().out, "| training step |")
    assert lines[0] == ("| training step | minicnn peak MB | torch peak MB | minicnn / torch "
                        "| median of the ratios |")
    assert lines[2:] == [f"| {NET} | 10–12 | 20 | 0.50–0.60 | **0.55** |"]


def test_without_markdown_a_line_per_run_comes_first(runs, capsys):
    assert ranges.main(runs[:1]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"1 run:\n{runs[0]}: test cpu, 2 threads, load average 0.25\n\n|")
    assert ranges.main(runs[:1] + ["--markdown"]) == 0
    assert capsys.readouterr().out.startswith("| row |")


def test_runs_without_memory_rows_print_no_memory_table(tmp_path, capsys):
    path = _write(tmp_path, "ops.json", [_row(CONV, 10.0, 20.0, 100.0)])
    assert ranges.main([path, "--markdown"]) == 0
    assert "training step" not in capsys.readouterr().out


def _refusal(tmp_path, argv, capsys):
    assert ranges.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("benchmarks.ranges: ")
    return captured.err


def test_a_missing_file_is_refused_in_one_line(tmp_path, runs, capsys):
    missing = str(tmp_path / "missing.json")
    assert "missing.json: no such file" in _refusal(tmp_path, [runs[0], missing], capsys)


def test_a_file_that_is_not_a_benchmark_json_is_refused_in_one_line(tmp_path, capsys):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"rows": []}), encoding="utf-8")
    assert 'no "schema" key' in _refusal(tmp_path, [str(other)], capsys)
    other.write_text(json.dumps([1, 2]), encoding="utf-8")
    assert 'no "schema" key' in _refusal(tmp_path, [str(other)], capsys)
    other.write_text(json.dumps({"schema": 99, "rows": []}), encoding="utf-8")
    assert "schema 99" in _refusal(tmp_path, [str(other)], capsys)
    other.write_text("not json {", encoding="utf-8")
    assert "not readable as JSON" in _refusal(tmp_path, [str(other)], capsys)


def test_no_file_is_refused_in_one_line(tmp_path, capsys):
    assert "at least one JSON file" in _refusal(tmp_path, [], capsys)
    assert "at least one JSON file" in _refusal(tmp_path, ["--markdown"], capsys)


def test_the_module_runs_as_a_command_without_a_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "benchmarks.ranges",
                           str(tmp_path / "missing.json")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"benchmarks.ranges: {tmp_path / 'missing.json'}: no such file"]
