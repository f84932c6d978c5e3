"""`minicnn export MODEL_OR_RUN --onnx OUT.onnx`: a zoo model with random weights or a run's
trained weights, as an ONNX file that onnxruntime runs to the model's logits; a mistake in
what was typed is one line on stderr and exit status 2."""
import contextlib
import re

import numpy as np
import pytest

import minicnn as mc
from minicnn.cli import main
from minicnn.cli.saved_run import load_run

from cli_helpers import minicnn

ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")


def _onnx_logits(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A LeNet-5 run of two batches."""
    folder = tmp_path_factory.mktemp("lenet") / "run"
    proc = minicnn("train", "lenet5", "--epochs", "1", "--max-steps", "2", "--out", folder)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder


def test_a_run_exports_with_its_trained_weights(run, tmp_path, capsys):
    out = tmp_path / "lenet.onnx"
    assert main(["export", str(run), "--onnx", str(out), "--batch", "3"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: ONNX opset 17, input (3, 1, 32, "
                                              f"32) -> output (3, 10), ")
    x = np.random.default_rng(0).standard_normal((3, 1, 32, 32)).astype(np.float32)
    with mc.no_grad():
        expected = load_run(str(run)).model(mc.tensor(x)).numpy()
    np.testing.assert_allclose(_onnx_logits(out, x), expected, rtol=1e-4, atol=1e-5)


def test_a_zoo_model_exports_at_its_native_or_a_given_size(tmp_path, capsys):
    assert main(["export", "mobilenet_v1", "--onnx", str(tmp_path / "a.onnx"), "--input",
                 "3,32,32", "--opset", "18"]) == 0
    assert "ONNX opset 18, input (1, 3, 32, 32) -> output (1, 1000)" in capsys.readouterr().out
    assert _onnx_logits(tmp_path / "a.onnx", np.zeros((1, 3, 32, 32), np.float32)).shape == \
        (1, 1000)
    assert main(["export", "lenet5", "--onnx", str(tmp_path / "b.onnx")]) == 0
    assert "input (1, 1, 32, 32) -> output (1, 10)" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["lenet6", "--onnx", "x.onnx"], r"unknown MODEL_OR_RUN 'lenet6'; did you mean lenet5"),
    (["nowhere/run", "--onnx", "x.onnx"], r"MODEL_OR_RUN nowhere/run: no such run folder"),
    ([".", "--onnx", "x.onnx"], r"MODEL_OR_RUN \.: not a run folder of minicnn train"),
    (["alexnet", "--onnx", "x.onnx", "--input", "3,32,32"],
     r"--input 3,32,32: max_pool2d: output size \(0, 0\) is not positive"),
    (["vit_b_16", "--onnx", "x.onnx", "--input", "3,30,30"],
     r"--input 3,30,30: vit_b_16 takes sides that are a multiple of 16"),
    (["resnet18", "--onnx", "x.onnx", "--input", "1,32,32"], r"--input 1,32,32: resnet18 takes "
                                                             r"3 channels"),
    (["lenet5", "--onnx", "a_file/x.onnx"], r"--onnx a_file/x\.onnx: "),
    (["lenet5", "--onnx", "x.onnx", "--opset", "16"], r"argument --opset: must be at least 17"),
    (["lenet5", "--onnx", "x.onnx", "--opset", "10000"], r"--opset 10000: export: opset must "
                                                         r"be an int from 17 to"),
    (["lenet5"], r"the following arguments are required: --onnx"),
])
def test_mistakes_are_one_line_and_exit_status_2(tmp_path, monkeypatch, capsys, argv,
                                                 message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("not a folder")
    refused_by_argparse = argv == ["lenet5"] or "16" in argv
    with pytest.raises(SystemExit) if refused_by_argparse else contextlib.nullcontext():
        assert main(["export", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("minicnn export: error: ")
    assert re.search(message, err), err
    assert not list(tmp_path.rglob("*.onnx"))
