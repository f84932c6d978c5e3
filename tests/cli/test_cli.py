"""The `minicnn` command: gradcheck (every op, conv2d under every algorithm), summary, train,
--help, and its error messages."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minicnn as mc
from minicnn.autograd import Function
from minicnn.cli import main
from minicnn.cli import op_catalog
from minicnn.functional import conv as conv_module
from minicnn.functional.conv_select import ALGORITHMS
from minicnn.gradcheck import compare_gradients, gradient_errors

NUMBER = r"-?\d\.\d+e[+-]\d\d"
ROW = re.compile(rf"^(?P<op>.+?)\s+(?P<abs>{NUMBER})\s+(?P<rel>{NUMBER})\s+(?P<analytic>{NUMBER})"
                 rf"\s+(?P<numeric>{NUMBER})\s+(?P<allowed>{NUMBER})\s+(?P<result>pass|FAIL)$")
ACCURACY = re.compile(r"^test accuracy: (0\.\d{4}) \(top-5: (0\.\d{4}|1\.0000)\)$")
RUN_FILES = {"checkpoint.npz", "history.csv", "history.json", "curves.png", "model.npz",
             "run.json"}


def _gradcheck(capsys, *argv, notes=None):
    """Status, the rows by op, and the last line; `notes` (a list) gets the lines between."""
    status = main(["gradcheck", *argv])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["op", "max", "abs", "err", "max", "rel", "err", "analytic",
                                "numeric", "allowed", "result"]
    end = lines.index("")
    rows = [ROW.match(line) for line in lines[1:end]]
    assert all(rows), lines
    if notes is not None:
        notes += lines[end + 1:-1]
    return status, {r["op"]: r for r in rows}, lines[-1]


@pytest.mark.parametrize("filters", [["conv2d"], ["relu", "pool"], ["cross_entropy"]])
def test_gradcheck_selected_ops_pass(capsys, filters):
    status, rows, last = _gradcheck(capsys, *filters)
    expected = [n for n in op_catalog.catalog() if any(f in n for f in filters)]
    assert list(rows) == expected and expected
    assert all(r["result"] == "pass" for r in rows.values())
    assert all(float(r["abs"]) < 1e-5 for r in rows.values())
    assert last == f"{len(expected)} passed, 0 failed"
    assert status == 0


def test_gradcheck_whole_catalog_passes(capsys):
    status, rows, last = _gradcheck(capsys)
    catalog = op_catalog.catalog()
    assert list(rows) == list(catalog) and len(catalog) >= 60
    failed = [name for name, r in rows.items() if r["result"] != "pass"]
    assert not failed
    assert last == f"{len(catalog)} passed, 0 failed" and status == 0


class _HalfSquare(Function):
    """x² whose backward forgets the factor 2."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_arrays
        return a * g


def test_gradcheck_reports_a_wrong_gradient(capsys, monkeypatch):
    entries = op_catalog.catalog()
    broken = {"exp": entries["exp"], "square": (_HalfSquare.apply, [(3, 4)], "normal")}
    monkeypatch.setattr("minicnn.cli.gradcheck_command.catalog", lambda: broken)
    status, rows, last = _gradcheck(capsys)
    assert rows["exp"]["result"] == "pass" and rows["square"]["result"] == "FAIL"
    assert float(rows["square"]["rel"]) == pytest.approx(0.5, rel=1e-3)
    square = rows["square"]                          # backprop gives half the true gradient
    assert float(square["analytic"]) == pytest.approx(float(square["numeric"]) / 2, rel=1e-4)
    assert abs(float(square["analytic"]) - float(square["numeric"])) > float(square["allowed"])
    assert last == "1 passed, 1 failed" and status == 1


def test_gradcheck_checks_conv2d_under_every_algorithm_and_prints_the_rule(capsys):
    notes = []
    status, rows, last = _gradcheck(capsys, "conv2d", "--atol", "2e-5", notes=notes)
    assert list(rows) == [f"conv2d[{name}]" for name in ALGORITHMS] and status == 0
    for row in rows.values():
        assert row["result"] == "pass"
        assert abs(float(row["analytic"]) - float(row["numeric"])) <= float(row["allowed"])
        assert float(row["allowed"]) == pytest.approx(2e-5 + 1e-3 * abs(float(row["numeric"])),
                                                      rel=0.02)
    assert notes[0] == "analytic, numeric, allowed: at the element nearest to failing"
    assert notes[1] == ("pass rule: |analytic − numeric| ≤ allowed = atol + rtol·|numeric| at "
                        "every element of")
    assert notes[2] == "  every input's gradient, atol=2e-05, rtol=0.001"
    assert notes[5] == ("conv2d[winograd_f4], conv2d[winograd_5x5], conv2d[space_to_depth]: "
                        "forward pass only;")
    assert last == f"{len(ALGORITHMS)} passed, 0 failed"


@pytest.mark.parametrize("algorithm", ["naive", "winograd_f2", "space_to_depth"])
def test_gradcheck_algorithm_checks_that_one_only(algorithm, capsys):
    notes = []
    status, rows, last = _gradcheck(capsys, "--algorithm", algorithm, notes=notes)
    assert list(rows) == [f"conv2d[{algorithm}]"] and status == 0
    assert ("forward pass only" in "\n".join(notes)) == (algorithm == "space_to_depth")
    assert last == "1 passed, 0 failed"


def test_gradcheck_algorithm_rows_run_their_algorithm(monkeypatch):
    """Each conv2d row runs the algorithm it names (a forward-only one where nothing records a
    gradient, im2col where backprop does)."""
    seen = []
    select = conv_module.select

    def recording(call, *measure):
        seen.append(select(call, *measure))
        return seen[-1]

    monkeypatch.setattr(conv_module, "select", recording)
    entries = op_catalog.catalog()
    for name in ALGORITHMS:
        fn, shapes, kind = entries[f"conv2d[{name}]"]
        seen.clear()
        inputs = [mc.tensor(a, requires_grad=True) for a in op_catalog.make_inputs(shapes, kind)]
        assert compare_gradients(fn, inputs).passed
        expected = {name} | ({"im2col"} if ALGORITHMS[name].forward_only else set())
        assert set(seen) == expected and seen[-1] == name


def test_gradcheck_tolerances_are_passed_on(capsys):
    status, rows, _ = _gradcheck(capsys, "batch_norm", "--atol", "0", "--rtol", "1e-12")
    assert status == 1 and rows["batch_norm"]["result"] == "FAIL"


def test_gradcheck_with_no_matching_op_says_so(capsys):
    assert main(["gradcheck", "nosuchop"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("minicnn gradcheck: error: no op name contains any of ['nosuchop']")
    assert err.count("\n") == 1
    assert main(["gradcheck", "relu", "--algorithm", "naive"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("minicnn gradcheck: error: no op name contains any of ['relu'] under "
                          "--algorithm naive")


def test_gradient_errors_measures_the_error():
    x = np.random.default_rng(0).standard_normal((3, 4))
    worst_abs, worst_rel, ok = gradient_errors(lambda a: a * a, [mc.tensor(x, requires_grad=True)])
    assert ok and worst_abs < 1e-7 and worst_rel < 1e-6
    worst_abs, worst_rel, ok = gradient_errors(_HalfSquare.apply,
                                               [mc.tensor(x, requires_grad=True)])
    assert not ok and worst_rel == pytest.approx(0.5, rel=1e-4)
    weights = np.random.default_rng(0).standard_normal((3, 4))  # the projection it uses
    assert worst_abs == pytest.approx(np.abs(x * weights).max(), rel=1e-4)


def test_summary_lenet5(capsys):
    assert main(["summary", "lenet5"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["layer", "type", "output", "shape", "groups", "params", "MACs",
                                "RF", "output", "bytes"]
    assert lines[-4] == "total parameters: 61,706  (trainable 61,706)"
    table = {line.split()[0]: line for line in lines[2:-5]}
    assert len(table) == 12
    assert table["features.0"].split()[1] == "Conv2d" and " 156 " in table["features.0"]
    assert "(1, 10)" in table["classifier.3"] and " 850 " in table["classifier.3"]
    assert " 48,120 " in table["features.6"]


def test_summary_depth_and_input(capsys):
    assert main(["summary", "LeNet5", "--depth", "1", "--input", "1,32,32"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines[2:-5]] == ["features", "classifier"]
    assert "(1, 120, 1, 1)" in lines[2] and " 50,692 " in lines[2]
    capsys.readouterr()
    assert main(["summary", "lenet5", "--input", "1,36,36"]) == 2   # LeNet-5 takes 32×32 only
    assert capsys.readouterr().err.startswith("minicnn summary: error: --input 1,36,36: linear: "
                                              "input has 480 features")


def test_summary_input_channels_build_the_model_for_them(capsys):
    assert main(["summary", "lenet5", "--input", "3,32,32"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-4] == "total parameters: 62,006  (trainable 62,006)"   # C1: 456, not 156


@pytest.mark.parametrize("argv, message", [
    (["summary", "resnet9000"], "unknown model 'resnet9000'"),
    (["summary", "lenet"], "unknown model 'lenet'; did you mean lenet5"),   # a module
    (["train", "resnet9000", "--out", "unused"], "unknown model 'resnet9000'"),
    (["train", "lenet5", "--dataset", "imagenet-22k", "--out", "unused"],
     "--dataset imagenet-22k: unknown dataset"),
])
def test_unknown_model_or_dataset_is_a_clear_error(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith(f"minicnn {argv[0]}: error: {message}")
    assert not (tmp_path / "unused").exists() and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("argv", [[], ["train"], ["fly"], ["summary", "lenet5", "--input", "x"]])
def test_bad_usage_exits_with_status_2(argv, capsys):
    try:
        status = main(argv)
    except SystemExit as error:                   # argparse's own refusals exit at once
        status = error.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("minicnn") and ": error: " in err and err.count("\n") == 1


def _command():
    """The installed console script, or `python -m minicnn` where there is none."""
    script = shutil.which("minicnn", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "minicnn"]


def _run(argv, cwd):
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=cwd,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["gradcheck", "--help"]])
def test_python_dash_m_help(argv, tmp_path):
    proc = _run([sys.executable, "-m", "minicnn", *argv], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: minicnn")
    if argv == ["--help"]:
        assert all(word in proc.stdout for word in ("train", "summary", "gradcheck"))


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    proc = _run([*_command(), "train", "lenet5", "--epochs", "1", "--out", str(out)], out.parent)
    return proc, out


def test_train_lenet5_one_epoch(trained_run):
    proc, out = trained_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("training lenet5 on sample (4000 train / 1000 test images)")
    top1 = float(ACCURACY.match(lines[-1]).group(1))
    assert top1 > 0.8
    assert RUN_FILES <= {p.name for p in out.iterdir()}
    history = mc.load(out / "checkpoint.npz")["history"]
    assert len(history) == 1 and history[0]["val_acc"] == pytest.approx(top1, abs=1e-4)
    weights = mc.load(out / "model.npz")
    assert sum(v.numel() for v in weights.values()) == 61706


def test_train_resume_of_a_finished_run_says_so(trained_run):
    """--resume of a run that has trained all its epochs trains no more and changes nothing."""
    proc, out = trained_run
    assert proc.returncode == 0
    before = (out / "model.npz").read_bytes()
    again = _run([sys.executable, "-m", "minicnn", "train", "--resume", str(out)], out.parent)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.strip() == (f"{out} already finished: 1 of 1 epochs trained; nothing to "
                                    f"do (--epochs N with N > 1 trains it longer)")
    assert (out / "model.npz").read_bytes() == before


def test_unknown_dataset_from_the_shell(tmp_path):
    proc = _run([*_command(), "train", "lenet5", "--dataset", "nope"], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("minicnn train: error: --dataset nope: unknown dataset and no "
                                   "such folder; use one of sample, mnist, fashion-mnist, "
                                   "cifar10, or a folder with train/ and test/ (or val/) "
                                   "sub-folders, one folder per class")
