"""`minicnn train clip_tiny --dataset digit-captions --curriculum tonics` and `minicnn
evaluate` on the run, as a user types them, on a reduced budget: the run folder is a normal
one, the contrastive loss falls between the two epochs, recall@5 over the 1,000 test pairs
is above twice chance (0.005) both ways and the zero-shot accuracy above chance (0.1) by
0.02 (over 1,000 canvases, chance's spread is 0.0095); a run resumes; the combinations that
cannot train are one-line user errors."""
import json
import re

import pytest

from minicnn.cli import main

from cli_helpers import minicnn

# 62 batches of 64 pairs an epoch: two epochs, the second cut short (random batches in
# both: TOnICS switches to one shared digit per batch after half of the 4 epochs)
TRAIN = ["train", "clip_tiny", "--dataset", "digit-captions", "--curriculum", "tonics",
         "--epochs", "4", "--max-steps", "80", "--batch-size", "64", "--workers", "0"]
RECALL = re.compile(r"^(image→text|text→image) recall@1: (\d\.\d{4})  recall@5: (\d\.\d{4})  "
                    r"\(chance: 0\.0010, 0\.0050\)$")
ZERO_SHOT = re.compile(r"^zero-shot accuracy on 1000 single-digit canvases, 4 prompt "
                       r"templates: (\d\.\d{4}) \(chance: 0\.1000\)$")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("clip") / "run"
    proc = minicnn(*TRAIN, "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, out


def test_the_run_folder_is_a_normal_one(run):
    proc, out = run
    assert {"run.json", "checkpoint.npz", "model.npz", "history.csv", "history.json",
            "curves.png"} <= {p.name for p in out.iterdir()}
    record = json.loads((out / "run.json").read_text())
    assert record["model"] == "clip_tiny" and record["input_size"] == [3, 48, 48]
    assert record["settings"]["curriculum"] == "tonics"
    assert record["settings"]["dataset"] == "digit-captions"
    assert record["data"]["kind"] == "captions" and record["data"]["classes"][3] == "3"
    assert proc.stdout.splitlines()[2] == ("curriculum: TOnICS, random minibatches for 2 "
                                           "epoch(s), then one shared digit per minibatch")
    assert re.match(r"^test in-batch image→text accuracy: \d\.\d{4} \(top-5: \d\.\d{4}\)",
                    proc.stdout.splitlines()[-1])


def test_the_contrastive_loss_falls(run):
    _, out = run
    history = json.loads((out / "history.json").read_text())
    assert len(history) == 2
    assert history[0]["train_loss"] < 4.16 - 0.2        # log(64) at the start
    assert history[1]["train_loss"] < history[0]["train_loss"] - 0.1


def test_evaluate_reports_recall_and_zero_shot_accuracy_above_chance(run):
    _, out = run
    proc = minicnn("evaluate", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("evaluated clip_tiny of") and "1000 test pairs" in lines[0]
    for line, direction in zip(lines[1:3], ("image→text", "text→image")):
        name, recall_1, recall_5 = RECALL.match(line).groups()
        assert name == direction and float(recall_1) <= float(recall_5)
        assert float(recall_5) > 2 * 0.005, line
    assert float(ZERO_SHOT.match(lines[3]).group(1)) > 0.1 + 0.02, lines[3]


def test_the_run_resumes_from_its_mid_epoch_checkpoint(run):
    _, out = run
    proc = minicnn("train", "--resume", out, "--max-steps", "2", "--workers", "0")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("resuming clip_tiny on digit-captions")
    record = json.loads((out / "run.json").read_text())
    assert [t["max_steps"] for t in record["trainings"]] == [80, 2]


def _error(argv, capsys):
    try:
        status = main([str(a) for a in argv])
    except SystemExit as error:
        status = error.code
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and err.count("\n") == 1
    return err


@pytest.mark.parametrize("argv, message", [
    (["train", "lenet5", "--dataset", "digit-captions"],
     "--dataset digit-captions: image–caption pairs train a CLIP model contrastively, and "
     "lenet5 is not one"),
    (["train", "clip_tiny"], "--dataset sample: clip_tiny trains contrastively on "
                             "image–caption pairs only (--dataset digit-captions)"),
    (["train", "clip_tiny", "--dataset", "cifar10"], "--dataset cifar10: clip_tiny trains"),
    (["train", "resnet18", "--curriculum", "tonics"],
     "--curriculum tonics: a curriculum orders the image–caption pairs of --dataset "
     "digit-captions, for a CLIP model"),
    (["train", "clip_tiny", "--dataset", "digit-captions", "--curriculum", "hard"],
     "argument --curriculum: invalid choice: 'hard'"),
])
def test_combinations_that_cannot_train_are_user_errors(argv, message, capsys, tmp_path,
                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _error(argv, capsys).startswith(f"minicnn train: error: {message}")
    assert not (tmp_path / "runs").exists()


def test_a_run_keeps_its_curriculum_and_its_dataset(run, capsys):
    _, out = run
    assert "--curriculum cannot be given with --resume" in _error(
        ["train", "--resume", out, "--curriculum", "random"], capsys)
    assert "--dataset sample: the run trains a CLIP model on digit-captions" in _error(
        ["evaluate", out, "--dataset", "sample"], capsys)


def test_predict_takes_classifier_runs_only(run, capsys, tmp_path):
    _, out = run
    image = tmp_path / "seven.png"
    image.write_bytes(b"")
    assert "a CLIP run on image–caption pairs has no classes to predict" in _error(
        ["predict", out, image], capsys)
