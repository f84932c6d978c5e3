"""Every user error of the command is one line on stderr, `minicnn CMD: error: ...`, with exit
status 2 and no traceback: bad numbers, unknown names (with a "did you mean"), sizes a model
cannot take, a missing dataset (naming --download and the expected path), runs that are not
there. Most are checked in-process, a few through the shell."""
import json

import pytest

from minicnn.cli import main

from cli_helpers import minicnn


def _status(argv):
    try:
        return main([str(a) for a in argv])
    except SystemExit as error:                   # argparse's own refusals exit at once
        return error.code


def _fake_run(folder, model="lenet5"):
    """A run folder with run.json and no weights."""
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps({
        "model": model, "num_classes": 10, "input_size": [1, 32, 32],
        "settings": {"epochs": 2, "variant": None},
        "data": {"dataset": "sample", "kind": "digits", "location": "x", "root": None,
                 "classes": list("0123456789"), "channels": 1, "stored_size": 28,
                 "mean": [0.5], "std": [0.5]}}))
    return folder


@pytest.mark.parametrize("argv, message", [
    (["train", "lenet5", "--epochs", "0"], "argument --epochs: must be at least 1, got 0"),
    (["train", "lenet5", "--epochs", "two"], "argument --epochs: expected an integer, got 'two'"),
    (["train", "lenet5", "--lr", "-1"], "argument --lr: must be greater than 0, got -1"),
    (["train", "lenet5", "--lr", "nan"], "argument --lr: expected a finite number, got 'nan'"),
    (["train", "lenet5", "--batch-size", "0"], "argument --batch-size: must be at least 1"),
    (["train", "lenet5", "--momentum", "1"], "argument --momentum: must be in [0, 1), got 1"),
    (["train", "lenet5", "--label-smoothing", "1.5"], "argument --label-smoothing: must be in"),
    (["train", "lenet5", "--weight-decay", "-0.1"], "argument --weight-decay: must be at least"),
    (["train", "lenet5", "--max-steps", "0"], "argument --max-steps: must be at least 1"),
    (["train", "lenet5", "--optimizer", "lbfgs"], "argument --optimizer: invalid choice"),
    (["train", "lenet5", "--scheduler", "cosine", "--warmup-epochs", "5", "--epochs", "5"],
     "--warmup-epochs 5 must be less than --epochs 5"),
    (["train", "lenet5", "--warmup-epochs", "1"],
     "--warmup-epochs does not combine with --scheduler onecycle"),
    (["train", "lenet5", "--momentum", "0.8"],
     "--momentum does not combine with --scheduler onecycle"),
    (["train", "alexnt"], "unknown model 'alexnt'; did you mean alexnet?"),
    (["train"], "name a model (see `minicnn models`), or --resume RUN_DIR"),
    (["train", "lenet5", "--image-size", "64"], "--image-size 64: lenet5 takes 32×32 inputs only"),
    (["train", "vit_b_16", "--image-size", "40"], "--image-size 40: vit_b_16 takes sides that "
                                                  "are a multiple of 16, at least 16"),
    (["train", "lenet5", "--variant", "paper"], "--variant paper: lenet5 has the variants "
                                                "modern, classic"),
    (["train", "resnet18", "--variant", "b"], "--variant b: resnet18 has no variants"),
    (["train", "lenet5", "--dataset", "cifar"], "--dataset cifar: unknown dataset and no such "
                                                "folder; did you mean cifar10?"),
    (["fly"], "argument COMMAND: invalid choice: 'fly'"),
])
def test_bad_arguments(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _status(argv) == 2
    out, err = capsys.readouterr()
    assert err.startswith(f"minicnn {argv[0]}: error: {message}".replace("minicnn fly", "minicnn"))
    assert err.count("\n") == 1 and out == ""
    assert not (tmp_path / "runs").exists()


def test_cuda_without_a_gpu(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("minicnn.cuda.is_available", lambda: False)
    assert _status(["train", "lenet5", "--device", "cuda"]) == 2
    assert capsys.readouterr().err.startswith("minicnn train: error: --device cuda: no CUDA GPU "
                                              "is available")
    assert not (tmp_path / "runs").exists()


def test_a_missing_dataset_names_download_and_the_expected_path(capsys, tmp_path):
    assert _status(["train", "lenet5", "--dataset", "fashion-mnist", "--data-root",
                    tmp_path]) == 2
    expected = tmp_path / "FashionMNIST" / "train-images-idx3-ubyte.gz"
    assert capsys.readouterr().err.startswith(
        f"minicnn train: error: dataset 'fashion-mnist' not found: expected {expected}, ")
    assert _status(["train", "lenet5", "--dataset", "cifar10", "--data-root", tmp_path]) == 2
    err = capsys.readouterr().err
    assert f"expected {tmp_path / 'cifar-10-python.tar.gz'}; pass --download" in err


def test_a_corrupt_dataset_file(capsys, tmp_path):
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (tmp_path / "MNIST").mkdir(exist_ok=True)
        (tmp_path / "MNIST" / name).write_bytes(b"<html>not found</html>")
    assert _status(["train", "lenet5", "--dataset", "mnist", "--data-root", tmp_path]) == 2
    err = capsys.readouterr().err
    assert err.startswith("minicnn train: error: dataset 'mnist': ")
    assert "not an IDX file" in err and err.count("\n") == 1


def test_runs_that_are_not_there(capsys, tmp_path):
    fake = _fake_run(tmp_path / "fake")
    cases = [
        (["train", "--resume", tmp_path / "nowhere"], f"--resume {tmp_path / 'nowhere'}: no such "
                                                      f"run folder"),
        (["train", "--resume", tmp_path], f"--resume {tmp_path}: not a run folder of minicnn "
                                          f"train (it has no run.json)"),
        (["train", "--resume", fake, "--lr", "0.1"], "--lr cannot be given with --resume"),
        (["train", "--resume", fake, "resnet18"], f"--resume {fake}: the run trains lenet5, not "
                                                  f"resnet18"),
        (["evaluate", tmp_path / "nowhere"], f"RUN_DIR {tmp_path / 'nowhere'}: no such run"),
        (["predict", fake, "x.png"], f"RUN_DIR {fake}: the run has no weights yet"),
    ]
    for argv, message in cases:
        assert _status(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith(f"minicnn {argv[0]}: error: {message}") and err.count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    (["train", "lenet5", "--epochs", "0"], "minicnn train: error: argument --epochs: must be at "
                                           "least 1, got 0 (see minicnn train --help)"),
    (["train", "alexnt"], "minicnn train: error: unknown model 'alexnt'; did you mean alexnet? "
                          "`minicnn models` lists the 49 models"),
    (["summary", "lenet5", "--input", "1,36,36"], "minicnn summary: error: --input 1,36,36: "
                                                  "linear: input has 480 features"),
    (["train", "lenet5", "--dataset", "mnist", "--data-root", "{tmp}"],
     "minicnn train: error: dataset 'mnist' not found: expected {tmp}/MNIST/train-images-idx3-"
     "ubyte.gz, {tmp}/MNIST/train-labels-idx1-ubyte.gz; pass --download to fetch it there, or "
     "--data-root DIR where it is kept"),
])
def test_from_the_shell(argv, message, tmp_path):
    argv = [a.format(tmp=tmp_path) for a in argv]
    proc = minicnn(*argv, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(message.format(tmp=tmp_path))
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
