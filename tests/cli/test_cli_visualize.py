"""`minicnn visualize RUN_DIR_OR_MODEL --method M --image PATH --out PNG`: every method on a
LeNet-5 run and on a zoo model with saved weights writes a PNG with the image and the map
side by side; mistakes end in one line on stderr and exit status 2 (checked in-process, two
of them through the shell too)."""
import numpy as np
import pytest
from PIL import Image

import minicnn as mc
from minicnn.cli import main
from minicnn.data.datasets import MNISTSample

from cli_helpers import minicnn

METHODS = ["gradcam", "saliency", "guided", "deconvnet", "occlusion", "integrated", "filters",
           "features"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A LeNet-5 run trained for a few batches of the bundled digits, and a digit image."""
    root = tmp_path_factory.mktemp("visualize")
    proc = minicnn("train", "lenet5", "--epochs", "1", "--max-steps", "5", "--out",
                   root / "run")
    assert proc.returncode == 0, proc.stderr[-3000:]
    image = root / "digit.png"
    Image.fromarray(MNISTSample(train=False).data[3]).save(image)
    return root / "run", image


def _two_panels(path):
    with Image.open(path) as picture:
        assert picture.format == "PNG"
        width, height = picture.size
    assert width > 1.5 * height


@pytest.mark.parametrize("method", METHODS)
def test_each_method_writes_the_image_and_its_map(run, tmp_path, method):
    folder, image = run
    out = tmp_path / f"{method}.png"
    proc = minicnn("visualize", folder, "--method", method, "--image", image, "--out", out,
                   "--steps", "4")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout == f"{method} of lenet5 of {folder}: {out}\n"
    _two_panels(out)


def test_a_zoo_model_with_saved_weights_a_layer_and_a_target(tmp_path):
    mc.manual_seed(0)
    weights = tmp_path / "weights.npz"
    mc.save(mc.models.resnet18(num_classes=1000).state_dict(), weights)
    rgb = tmp_path / "photo.png"
    pixels = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(rgb)
    out = tmp_path / "cam.png"
    proc = minicnn("visualize", "resnet18", "--weights", weights, "--method", "gradcam",
                   "--layer", "layer3", "--target", "7", "--image", rgb, "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout == f"gradcam of resnet18: {out}\n"
    _two_panels(out)


def test_filters_need_no_image(tmp_path):
    out = tmp_path / "filters.png"
    proc = minicnn("visualize", "lenet5", "--method", "filters", "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with Image.open(out) as picture:
        assert picture.format == "PNG"


def _status(argv):
    try:
        return main([str(a) for a in argv])
    except SystemExit as error:                   # argparse's own refusals exit at once
        return error.code


MISTAKES = [
    (["lenet", "--method", "saliency", "--image", "IMAGE"],
     "unknown model or run folder 'lenet'; did you mean lenet5"),
    (["RUN", "--method", "saliency"], "--method saliency needs --image PATH"),
    (["RUN", "--method", "saliency", "--image", "nothing.png"],
     "--image nothing.png: no such file"),
    (["RUN", "--method", "gradcam", "--image", "IMAGE", "--layer", "features.33"],
     "--layer features.33: the model has no such submodule; did you mean features.3"),
    (["RUN", "--method", "gradcam", "--image", "IMAGE", "--layer", "classifier.1"],
     "--layer classifier.1: grad_cam: layer 'classifier.1' outputs shape (1, 84); Grad-CAM "
     "needs (N, C, H, W) maps"),
    (["RUN", "--method", "filters", "--layer", "features.1"],
     "--layer features.1: filters: layer must be an nn.Conv2d, got ReLU"),
    (["RUN", "--method", "saliency", "--image", "IMAGE", "--target", "12"],
     "--target 12: the model has 10 classes (0 to 9)"),
    (["RUN", "--method", "saliency", "--image", "IMAGE", "--target", "eleven"],
     "--target eleven: expected a class index or one of the run's classes"),
    (["RUN", "--method", "saliency", "--image", "IMAGE", "--weights", "w.npz"],
     "--weights w.npz: a run folder brings its own weights"),
    (["lenet5", "--method", "filters", "--weights", "missing.npz"],
     "--weights missing.npz: [Errno 2] No such file or directory: 'missing.npz'"),
    (["RUN", "--method", "sharpness", "--image", "IMAGE"],
     "argument --method: invalid choice: 'sharpness'"),
]


def _argv(argv, run, tmp_path):
    folder, image = run
    return ["visualize"] + [str(folder) if a == "RUN" else str(image) if a == "IMAGE" else a
                            for a in argv] + ["--out", str(tmp_path / "out.png")]


@pytest.mark.parametrize("argv, message", MISTAKES)
def test_mistakes_are_one_line_and_exit_2(run, tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert _status(_argv(argv, run, tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.startswith("minicnn visualize: error: " + message), err
    assert err.count("\n") == 1
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("argv, message", [MISTAKES[0], MISTAKES[-1]])
def test_mistakes_through_the_shell(run, tmp_path, argv, message):
    proc = minicnn(*_argv(argv, run, tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("minicnn visualize: error: " + message), proc.stderr
    assert proc.stderr.count("\n") == 1
