"""`minicnn train` as a user types it: run.json, the per-epoch line, --max-steps, resume in
the same folder, extending a run, unique run folders, Ctrl-C, file modes, --help."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

import minicnn as mc
from minicnn.cli import run_folder

from cli_helpers import command, image_folder, minicnn
from conftest import sigint_at_default

EPOCH = re.compile(r"^epoch (\d+)/(\d+)  loss \d+\.\d{4}  acc \d\.\d{4}  val_acc \d\.\d{4}  "
                   r"\(\d+\.\d s\)$")
ACCURACY = re.compile(r"^test accuracy: \d\.\d{4} \(top-5: \d\.\d{4}\)$")
TINY = ["--batch-size", "4", "--workers", "0"]        # 2 batches per epoch on image_folder


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """`minicnn train lenet5 --max-steps 3` on the bundled digits, run from a fresh folder."""
    cwd = tmp_path_factory.mktemp("smoke")
    proc = minicnn("train", "lenet5", "--max-steps", "3", cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = list((cwd / "runs").iterdir())
    assert len(runs) == 1
    return proc, runs[0]


def test_a_smoke_run_prints_one_line_per_epoch_and_no_redraws(smoke):
    proc, folder = smoke
    lines = proc.stdout.splitlines()
    assert lines[0] == (f"training lenet5 on sample (4000 train / 1000 test images) for 12 "
                        f"epochs; 1×32×32 inputs; run folder runs/{folder.name}")
    assert lines[1].startswith("settings: --optimizer adam --lr 0.003 --momentum 0.9")
    assert EPOCH.match(lines[2]).groups() == ("1", "12")
    assert lines[-2] == "tested on 3 of the 16 test batches, drawn at random (--max-steps)"
    assert ACCURACY.match(lines[-1])
    assert "\r" not in proc.stdout + proc.stderr and proc.stderr == ""


def test_run_json_holds_every_setting_the_version_and_the_data_source(smoke):
    _, folder = smoke
    record = json.loads((folder / "run.json").read_text())
    assert record["model"] == "lenet5" and record["minicnn_version"] == mc.__version__
    assert record["input_size"] == [1, 32, 32] and record["num_classes"] == 10
    assert record["settings"] == {
        "optimizer": "adam", "lr": 0.003, "momentum": 0.9, "weight_decay": 0.0,
        "scheduler": "onecycle", "warmup_epochs": 0.0, "label_smoothing": 0.0,
        "grad_clip": 0.0, "epochs": 12, "batch_size": 64, "dataset": "sample",
        "augment": True, "seed": 0, "image_size": 32, "variant": None, "scale_jitter": None}
    data = record["data"]
    assert data["dataset"] == "sample" and os.path.isfile(data["location"])
    assert data["classes"][7] == "7 - seven" and data["channels"] == 1
    assert [t["max_steps"] for t in record["trainings"]] == [3]
    state = mc.load(folder / "checkpoint.npz")
    assert (state["epoch"], state["step_in_epoch"], state["global_step"]) == (0, 3, 3)


def test_resume_continues_in_the_same_folder(smoke, tmp_path):
    _, folder = smoke
    proc = minicnn("train", "--resume", folder, "--max-steps", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("resuming lenet5 on sample")
    assert f"run folder {folder}" in proc.stdout.splitlines()[0]
    assert not (tmp_path / "runs").exists()
    state = mc.load(folder / "checkpoint.npz")
    assert (state["epoch"], state["step_in_epoch"], state["global_step"]) == (0, 5, 5)
    record = json.loads((folder / "run.json").read_text())
    assert [t["max_steps"] for t in record["trainings"]] == [3, 2]


def test_a_run_extends_to_more_epochs_and_then_is_finished(tmp_path):
    data = image_folder(tmp_path / "data")
    out = tmp_path / "run"
    first = minicnn("train", "lenet5", "--dataset", data, "--epochs", "1", "--out", out, *TINY)
    assert first.returncode == 0, first.stderr[-3000:]
    assert [EPOCH.match(line).groups() for line in first.stdout.splitlines()
            if line.startswith("epoch")] == [("1", "1")]
    more = minicnn("train", "--resume", out, "--epochs", "3", "--workers", "0", cwd=tmp_path)
    assert more.returncode == 0, more.stderr[-3000:]
    lines = more.stdout.splitlines()
    assert lines[0] == ("extending the run from 1 to 3 epochs; the learning-rate schedule is "
                        "rebuilt for 3 epochs")
    assert [EPOCH.match(line).groups() for line in lines if line.startswith("epoch")] == \
        [("2", "3"), ("3", "3")]
    assert ACCURACY.match(lines[-1])
    record = json.loads((out / "run.json").read_text())
    assert record["settings"]["epochs"] == 3
    assert [t["epochs"] for t in record["trainings"]] == [1, 3]
    assert len(json.loads((out / "history.json").read_text())) == 3
    done = minicnn("train", "--resume", out, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == (
        f"{out} already finished: 3 of 3 epochs trained; nothing to do (--epochs N with N > 3 "
        f"trains it longer)\n")
    fewer = minicnn("train", "--resume", out, "--epochs", "2", cwd=tmp_path)
    assert fewer.returncode == 2 and fewer.stderr == (
        f"minicnn train: error: --epochs 2: the run in {out} has trained 3 epochs already\n")


def test_run_folders_are_unique_within_a_second(tmp_path, monkeypatch):
    monkeypatch.setattr(run_folder.time, "strftime", lambda fmt: "20240102-030405")
    made = [run_folder.new_run_folder(tmp_path / "runs") for _ in range(3)]
    assert [os.path.basename(p) for p in made] == ["20240102-030405", "20240102-030405-2",
                                                   "20240102-030405-3"]


def test_files_follow_the_umask(tmp_path):
    data = image_folder(tmp_path / "data")
    proc = minicnn("train", "lenet5", "--dataset", data, "--epochs", "1", "--out",
                   tmp_path / "run", *TINY, preexec_fn=lambda: os.umask(0o027))
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("checkpoint.npz", "model.npz", "run.json", "history.json"):
        assert (tmp_path / "run" / name).stat().st_mode & 0o777 == 0o640, name


def test_ctrl_c_writes_a_checkpoint_and_prints_the_resume_command(tmp_path):
    out = tmp_path / "run"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([*command(), "train", "lenet5", "--epochs", "100", "--out",
                             str(out)], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=sigint_at_default)
    try:
        for line in proc.stdout:
            if line.startswith("settings:"):
                break
        time.sleep(5)                               # into the run, wherever it is by then
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 130
    lines = err.splitlines()
    where = r"(epoch \d+, step \d+ of 62|the start of epoch \d+)"
    assert re.match(f"^minicnn train: interrupted at {where}; checkpoint: "
                    f"{re.escape(str(out / 'checkpoint.npz'))} \\(written ", lines[-2]), lines
    assert lines[-1] == f"resume with: minicnn train --resume {out}"
    assert "Traceback" not in err
    state = mc.load(out / "checkpoint.npz")
    again = minicnn("train", "--resume", out, "--max-steps", "1", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert mc.load(out / "checkpoint.npz")["global_step"] == state["global_step"] + 1


def test_help_shows_the_defaults(tmp_path):
    proc = minicnn("train", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for shown in ("--threads THREADS compute threads (default: 1",
                  "--seed SEED seed of the weights, batches and augmentation (default: 0)",
                  "defaults per model family",
                  "lenet: lenet5 --optimizer adam --lr 0.003 --momentum 0.9",
                  "transformer: vit*, deit*, clip_rn50, clip_vit_b_32 --optimizer adamw",
                  "contrastive: clip_tiny --optimizer adamw"):
        assert shown in text, shown
