"""`minicnn train` data-parallel: `--nproc 2` (which starts mpiexec) trains LeNet-5 to the
accuracy of one process on the same global batch, rank 0 alone prints and writes the run,
and a run started under mpiexec resumes under mpiexec."""
import json
import re
import sys
from pathlib import Path

import pytest

import minicnn as mc
from mpi_jobs import needs_mpi

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_helpers import minicnn  # noqa: E402

pytestmark = needs_mpi


def accuracy(output):
    return float(re.search(r"test accuracy: (\d\.\d+)", output).group(1))


def test_two_processes_reach_the_single_process_accuracy(tmp_path):
    alone = minicnn("train", "lenet5", "--epochs", "2", "--batch-size", "64",
                    "--out", tmp_path / "alone", cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr
    pair = minicnn("train", "lenet5", "--epochs", "2", "--batch-size", "32", "--nproc", "2",
                   "--out", tmp_path / "pair", cwd=tmp_path)
    assert pair.returncode == 0, pair.stderr
    assert "data-parallel in 2 processes: 32 images each, a global batch of 64" in pair.stdout
    assert pair.stdout.count("test accuracy:") == 1           # rank 0 alone reports
    assert accuracy(pair.stdout) >= accuracy(alone.stdout) - 0.02
    assert accuracy(pair.stdout) > 0.85
    run = json.loads((tmp_path / "pair" / "run.json").read_text())
    assert run["trainings"][-1]["processes"] == 2
    history = json.loads((tmp_path / "pair" / "history.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2]
    state = mc.load(tmp_path / "pair" / "model.npz")
    assert not any(key.startswith("module.") for key in state)   # loads into a plain LeNet-5


def test_a_run_under_mpiexec_resumes_under_mpiexec(tmp_path):
    mpiexec = mc.distributed.find_mpiexec()
    folder = tmp_path / "run"
    first = minicnn("train", "lenet5", "--max-steps", "3", "--nproc", "2", "--out", folder,
                    cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    position = mc.load(folder / "checkpoint.npz")
    assert (position["epoch"], position["step_in_epoch"]) == (0, 3)
    alone = minicnn("train", "--resume", folder, cwd=tmp_path)
    assert alone.returncode == 2
    assert "the run stopped mid-epoch in 2 process(es); resume it in as many" in alone.stderr
    again = minicnn("train", "--resume", folder, "--max-steps", "3", "--nproc", "2",
                    cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("resuming lenet5") == 1
    position = mc.load(folder / "checkpoint.npz")
    assert (position["epoch"], position["step_in_epoch"]) == (0, 6)
    assert mpiexec is not None


@pytest.mark.parametrize("argv, message", [
    (["train", "nosuchmodel", "--nproc", "2"], "minicnn train: error: unknown model"),
    (["train", "lenet5", "--nproc", "0"], "minicnn train: error: argument --nproc"),
])
def test_errors_are_said_once(tmp_path, argv, message):
    result = minicnn(*argv, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count(message) == 1
