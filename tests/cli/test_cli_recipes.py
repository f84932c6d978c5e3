"""The papers' recipes through `minicnn train` as a user types it, on reduced budgets: GoogLeNet
with its auxiliary classifiers, AlexNet's augmentation with PCA colour jitter on a colour
folder, VGG's multi-scale training; each run's training loss falls. Also the recipes'
transforms as cli/recipes.py builds them and the errors of --scale-jitter."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from minicnn.cli import datasets, main, recipes, train_settings, zoo
from minicnn.data import transforms as T

from cli_helpers import minicnn

COLOURS = {"red": (200, 40, 40), "blue": (40, 60, 200)}


def colour_folder(root, per_class=8, side=40):
    """root/train and root/test: noisy images of one colour per class, so that a few steps
    learn them; returns root."""
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for label, colour in COLOURS.items():
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(per_class):
                noise = rng.integers(-40, 41, (side, side, 3))
                pixels = np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def colours(tmp_path_factory):
    return colour_folder(tmp_path_factory.mktemp("colours"))


@pytest.fixture(scope="module")
def more_colours(tmp_path_factory):
    """Sixteen images a class: eight batches of four an epoch. With four, GoogLeNet's three
    epochs (its first a warm-up) were twelve steps of BatchNorm over four images and of its
    heads' dropout, and the epochs' losses moved by chance, up or down with the rounding."""
    return colour_folder(tmp_path_factory.mktemp("more_colours"), per_class=16)


def train(tmp_path, *argv, keep=False):
    """Run `minicnn train ARGV --out run`; (stdout, the per-epoch training losses, run.json).
    The run folder is removed unless `keep` (a VGG's checkpoint is over a gigabyte)."""
    out = tmp_path / "run"
    proc = minicnn("train", *argv, "--out", out, "--batch-size", "4", "--seed", "0",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    history = json.loads((out / "history.json").read_text())
    run = json.loads((out / "run.json").read_text())
    if not keep:
        shutil.rmtree(out)
    return proc.stdout, [epoch["train_loss"] for epoch in history], run


def test_googlenet_trains_with_its_auxiliary_heads_and_evaluates_its_main_head(tmp_path,
                                                                                more_colours):
    out, losses, _ = train(tmp_path, "googlenet", "--dataset", more_colours, "--epochs", "3",
                           "--lr", "0.01", "--no-augment", keep=True)
    assert losses[-1] < losses[0], losses
    # two classes at chance: ln 2 for the main head and 0.3 ln 2 for each auxiliary one
    assert losses[0] > 1.2 * np.log(2), losses
    evaluated = minicnn("evaluate", tmp_path / "run", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert "accuracy" in evaluated.stdout


def test_alexnet_augments_colour_images_with_pca_jitter(tmp_path, colours):
    out, losses, _ = train(tmp_path, "alexnet", "--dataset", colours, "--epochs", "2",
                           "--augment")
    assert ("AlexNet augmentation: 63×63 crops of the image rescaled to 72, flips, PCA "
            "colour jitter (alpha std 0.1)") in out
    assert losses[-1] < losses[0], losses


def test_vgg_trains_on_several_scales(tmp_path, colours):
    # plain SGD: no optimizer state, so the checkpoint of VGG's weights is a third of Adam's
    out, losses, run = train(tmp_path, "vgg11", "--dataset", colours, "--epochs", "2",
                             "--scale-jitter", "36", "48", "--optimizer", "sgd",
                             "--momentum", "0", "--lr", "0.02")
    assert "multi-scale training: shorter side S in [36, 48], then 32×32 crops" in out
    assert losses[-1] < losses[0], losses
    assert run["settings"]["scale_jitter"] == [36, 48]


def recipe_transform(name, dataset, **given):
    """The training transform `minicnn train NAME --dataset DATASET` builds, and its source."""
    entry = zoo.lookup(name)
    settings = train_settings.resolve(entry.family, given)
    source, train_set, _ = datasets.open_dataset(dataset)
    settings["image_size"] = settings["image_size"] or entry.default_size(32)
    size = settings["image_size"]
    return recipes.train_transform(entry, source, train_set, settings, size, 3), train_set


def kinds(transform):
    return [type(step).__name__ for step in transform.transforms]


def test_alexnets_recipe_on_colour_data_and_its_omission_on_digits(colours):
    transform, train_set = recipe_transform("alexnet", str(colours))
    assert kinds(transform) == ["Resize", "RandomCrop", "RandomHorizontalFlip", "ToTensor",
                                "PCAColorJitter", "Normalize"]
    eigval, _ = T.rgb_pca(train_set)
    np.testing.assert_allclose(transform.transforms[4].eigval, eigval)
    assert tuple(transform(train_set[0][0]).shape) == (3, 63, 63)
    digits, _ = recipe_transform("alexnet", "sample")
    assert "PCAColorJitter" not in kinds(digits) and "RandomHorizontalFlip" not in kinds(digits)
    plain, _ = recipe_transform("alexnet", str(colours), augment=False)
    assert kinds(plain) == ["Resize", "CenterCrop", "ToTensor", "Normalize"]


def test_vggs_default_scales_are_the_papers_scaled_to_the_training_side():
    entry = zoo.lookup("vgg16")
    settings = dict(train_settings.resolve(entry.family, {}), image_size=224)
    assert recipes.scale_jitter(entry, settings) == (256, 512)
    settings["image_size"] = 32
    assert recipes.scale_jitter(entry, settings) == (37, 73)
    assert recipes.scale_jitter(entry, dict(settings, augment=False)) is None
    assert recipes.scale_jitter(zoo.lookup("resnet18"), settings) is None
    transform, _ = recipe_transform("vgg11", "sample")
    assert kinds(transform) == ["Pad", "RandomScale", "RandomCrop", "ToTensor", "Normalize",
                                "Lambda"]
    assert (transform.transforms[1].min_size, transform.transforms[1].max_size) == (37, 73)


@pytest.mark.parametrize("argv, message", [
    (["--scale-jitter", "40", "36"], "--scale-jitter 40 36: S_MIN must not exceed S_MAX"),
    (["--scale-jitter", "20", "40"], "--scale-jitter 20 40: S_MIN must be at least the "
                                     "training side 32"),
    (["--scale-jitter", "36", "40", "--no-augment"], "--scale-jitter 36 40: scale jitter is "
                                                     "training augmentation"),
    (["--scale-jitter", "0", "40"], "argument --scale-jitter: must be at least 1, got 0"),
])
def test_scale_jitter_errors(argv, message, capsys, tmp_path):
    try:
        status = main(["train", "vgg11", "--out", str(tmp_path / "run"), *argv])
    except SystemExit as error:
        status = error.code
    assert status == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
