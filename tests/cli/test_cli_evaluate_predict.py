"""`minicnn evaluate RUN_DIR` and `minicnn predict RUN_DIR IMAGE...` on a LeNet-5 run: the test
accuracy (top-1 and top-5) equal to what training reported, the confusion matrix PNG, the
top-5 classes of each image with their probabilities."""
import re

import numpy as np
import pytest
from PIL import Image

from minicnn.data.datasets import MNISTSample

from cli_helpers import image_folder, minicnn

ACCURACY = re.compile(r"^test accuracy: (\d\.\d{4}) \(top-5: (\d\.\d{4})\)$")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """LeNet-5 trained for 40 batches of the bundled digits (and evaluated on all 16 test
    batches: --max-steps caps the evaluation at 40)."""
    folder = tmp_path_factory.mktemp("lenet") / "run"
    proc = minicnn("train", "lenet5", "--epochs", "1", "--max-steps", "40", "--out", folder)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder, proc.stdout.splitlines()[-1]


def test_evaluate_prints_top1_and_top5_and_writes_the_confusion_matrix(run, tmp_path):
    run, reported = run
    proc = minicnn("evaluate", run, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0] == (f"evaluated lenet5 of {run} (checkpoint.npz) on 1000 test images of "
                        f"sample")
    png = run / "confusion-sample.png"
    assert lines[1] == f"confusion matrix: {png}"
    top1, top5 = map(float, ACCURACY.match(lines[2]).groups())
    assert 0.5 < top1 <= top5 <= 1
    assert lines[2] == reported                    # what training reported
    with Image.open(png) as image:
        assert image.format == "PNG" and min(image.size) >= 300


def test_evaluate_on_a_dataset_with_other_classes_is_refused(run, tmp_path):
    run, _ = run
    other = image_folder(tmp_path / "folder", classes=("cat", "dog"))
    proc = minicnn("evaluate", run, "--dataset", other, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (f"minicnn evaluate: error: --dataset {other}: its classes (cat, dog) "
                           f"are not the run's (0 - zero, 1 - one, 2 - two, 3 - three, 4 - four, "
                           f"5 - five, 6 - six, 7 - seven, 8 - eight, 9 - nine)\n")


def test_predict_prints_the_top5_classes_of_each_image(run, tmp_path):
    run, _ = run
    digits = MNISTSample(train=False)
    in_file_order = np.argsort(digits.indices)
    paths = []
    for index in in_file_order[[3, 905]]:      # a 0 and a 9 from the test split, dark on light
        path = tmp_path / f"digit{digits.targets[index]}.png"
        Image.fromarray(255 - digits.data[index]).convert("RGB").resize((56, 56)).save(path)
        paths.append(path)
    proc = minicnn("predict", run, *paths, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert len(lines) == 12 and lines[0] == str(paths[0]) and lines[6] == str(paths[1])
    for block, digit in ((lines[1:6], "0 - zero"), (lines[7:12], "9 - nine")):
        rows = [re.match(r"^  (\d\.\d{4})  (\d - \w+)$", line).groups() for line in block]
        probabilities = [float(p) for p, _ in rows]
        assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1
        assert len({label for _, label in rows}) == 5
        assert rows[0][1] == digit               # dark ink on a light ground is inverted


def test_predict_refuses_what_is_not_an_image(run, tmp_path):
    run, _ = run
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    proc = minicnn("predict", run, text, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith(
        f"minicnn predict: error: {text}: not an image that can be read")
