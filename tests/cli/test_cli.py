"""The `minicnn` command: gradcheck, summary, train, --help, and its error messages."""
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
from minicnn.gradcheck import gradient_errors

ROW = re.compile(r"^(?P<op>.+?)\s+(?P<abs>\d\.\d\de[+-]\d\d)\s+(?P<rel>\d\.\d\de[+-]\d\d)\s+"
                 r"(?P<result>pass|FAIL)$")
ACCURACY = re.compile(r"^test accuracy: 0\.\d{4}$")
RUN_FILES = {"checkpoint.npz", "history.csv", "history.json", "curves.png", "model.npz"}


def _gradcheck(capsys, *argv):
    status = main(["gradcheck", *argv])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["op", "max", "abs", "err", "max", "rel", "err", "result"]
    rows = [ROW.match(line) for line in lines[1:-1]]
    assert all(rows), lines
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
    assert last == "1 passed, 1 failed" and status == 1


def test_gradcheck_tolerances_are_passed_on(capsys):
    status, rows, _ = _gradcheck(capsys, "batch_norm", "--atol", "0", "--rtol", "1e-12")
    assert status == 1 and rows["batch_norm"]["result"] == "FAIL"


def test_gradcheck_with_no_matching_op_says_so():
    with pytest.raises(SystemExit, match="no op name contains any of \\['nosuchop'\\]"):
        main(["gradcheck", "nosuchop"])


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
    assert lines[0].split() == ["layer", "type", "output", "shape", "params", "MACs", "RF",
                                "output", "bytes"]
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
    with pytest.raises(ValueError, match="linear: input has 480 features"):
        main(["summary", "lenet5", "--input", "1,36,36"])   # LeNet-5 takes 32×32 only


def test_summary_input_channels_build_the_model_for_them(capsys):
    assert main(["summary", "lenet5", "--input", "3,32,32"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-4] == "total parameters: 62,006  (trainable 62,006)"   # C1: 456, not 156


@pytest.mark.parametrize("argv, message", [
    (["summary", "resnet9000"], "unknown model 'resnet9000'"),
    (["summary", "lenet"], "unknown model 'lenet'"),            # a module, not a model
    (["train", "resnet9000", "--out", "unused"], "unknown model 'resnet9000'"),
    (["train", "lenet5", "--dataset", "imagenet-22k", "--out", "unused"],
     "unknown dataset 'imagenet-22k'"),
])
def test_unknown_model_or_dataset_is_a_clear_error(argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=re.escape(message)):
        main(argv)
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize("argv", [[], ["train"], ["fly"], ["summary", "lenet5", "--input", "x"]])
def test_bad_usage_exits_with_status_2(argv, capsys):
    with pytest.raises(SystemExit) as error:
        main(argv)
    assert error.value.code == 2
    assert "usage: minicnn" in capsys.readouterr().err


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
    assert ACCURACY.match(lines[-1]), lines[-1]
    assert float(lines[-1].split()[-1]) > 0.8
    assert RUN_FILES <= {p.name for p in out.iterdir()}
    history = mc.load(out / "checkpoint.npz")["history"]
    assert len(history) == 1 and history[0]["val_acc"] == pytest.approx(
        float(lines[-1].split()[-1]), abs=1e-4)
    weights = mc.load(out / "model.npz")
    assert sum(v.numel() for v in weights.values()) == 61706


def test_train_resume_from_finished_run(trained_run, tmp_path):
    """--resume from the final checkpoint trains no more and reports the same accuracy."""
    proc, out = trained_run
    assert proc.returncode == 0
    again = _run([sys.executable, "-m", "minicnn", "train", "lenet5", "--epochs", "1",
                  "--out", str(tmp_path), "--resume", str(out / "checkpoint.npz")], tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.strip().splitlines()[-1] == proc.stdout.strip().splitlines()[-1]
    first, second = mc.load(out / "model.npz"), mc.load(tmp_path / "model.npz")
    assert all(np.array_equal(first[k].numpy(), second[k].numpy()) for k in first)


def test_unknown_dataset_from_the_shell(tmp_path):
    proc = _run([*_command(), "train", "lenet5", "--dataset", "nope"], tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("minicnn train: unknown dataset 'nope'; use one of "
                                   "('sample', 'mnist', 'fashion-mnist', 'cifar10') or a folder")
