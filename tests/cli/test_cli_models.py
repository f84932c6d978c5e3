"""`minicnn models` and `minicnn --version`, and the zoo behind `minicnn train`: every
constructor is there, each is fitted to the data as documented."""
import inspect
import os
import subprocess
import sys

import pytest

import minicnn as mc
from minicnn import models
from minicnn.cli import zoo
from minicnn.cli.errors import UsageError


def _minicnn(*argv):
    return subprocess.run([sys.executable, "-m", "minicnn", *argv], capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, OMP_NUM_THREADS="1"))


def test_every_constructor_without_arguments_is_in_the_zoo():
    constructors = [name for name in models.__all__ if inspect.isfunction(getattr(models, name))
                    and zoo._constructs_alone(getattr(models, name))]
    assert sorted(zoo.catalog()) == sorted(constructors) and len(constructors) == 49


def test_models_lists_each_with_parameters_input_and_description():
    proc = _minicnn("models")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "49 models"
    blocks = {lines[i].split("(")[0]: lines[i:i + 3] for i in range(0, len(lines) - 1, 3)}
    assert len(blocks) == 49
    assert blocks["alexnet"] == [
        "alexnet(num_classes=1000, dropout=0.5, variant='torchvision', "
        "lrn_convention='pytorch')",
        "    AlexNet: torchvision's (\"torchvision\", 224×224 input) or the 2012 paper's "
        "(\"paper\", 227×227 input, two groups, LRN).",
        "    input 3×224×224 (trains from 63×63, paper: 67×67); family plain"]
    assert blocks["lenet5"][2] == "    input 1×32×32 (only); family lenet"
    assert blocks["vit_b_16"][2] == ("    input 3×224×224 (trains from 16×16, sides a multiple "
                                     "of 16); family transformer")
    assert all(block[1].startswith("    ") and len(block[1]) > 10 for block in blocks.values())


def test_models_filter_and_version():
    proc = _minicnn("models", "--filter", "DENSENET")
    names = [line.split("(")[0] for line in proc.stdout.splitlines()[:-1:3]]
    assert names == ["densenet121", "densenet161", "densenet169", "densenet201"]
    assert proc.stdout.splitlines()[-1] == "4 models matching 'DENSENET'"
    version = _minicnn("--version")
    assert version.returncode == 0 and version.stdout == f"minicnn {mc.__version__}\n"


@pytest.mark.parametrize("name, data_size, expected", [
    ("lenet5", 32, 32), ("resnet18", 32, 32), ("alexnet", 32, 63), ("inception_v3", 32, 75),
    ("vit_b_16", 32, 32), ("vit_b_16", 40, 48), ("clip_rn50", 32, 32), ("resnet18", 80, 80),
])
def test_default_size_is_the_data_side_or_the_model_minimum(name, data_size, expected):
    assert zoo.lookup(name).default_size(data_size) == expected


def test_a_variant_may_need_a_larger_side():
    entry = zoo.lookup("alexnet")
    assert entry.default_size(32, "paper") == 67 and entry.default_size(32) == 63
    with pytest.raises(UsageError, match=r"^--image-size 64: alexnet \(paper\) takes sides "
                                         r"that are at least 67$"):
        entry.check_size(64, variant="paper")


@pytest.mark.parametrize("name, size, message", [
    ("lenet5", 64, "--image-size 64: lenet5 takes 32×32 inputs only"),
    ("alexnet", 62, "--image-size 62: alexnet takes sides that are at least 63"),
    ("deit_tiny_patch16_224", 40, "--image-size 40: deit_tiny_patch16_224 takes sides that are "
                                  "a multiple of 16, at least 16"),
])
def test_sizes_a_model_cannot_take_are_user_errors(name, size, message):
    with pytest.raises(UsageError, match=f"^{message}$"):
        zoo.lookup(name).check_size(size)


def test_the_minimum_side_is_measured():
    entry = zoo.lookup("nin")
    model = entry.build(10, 3, entry.rule.minimum).eval()
    with mc.no_grad():
        assert model(mc.randn(1, 3, 39, 39)).shape == (1, 10)
        with pytest.raises(ValueError, match="output size"):
            model(mc.randn(1, 3, 38, 38))


def _train_step(model, x, classes):
    model.train()
    out = model(x)
    logits = out[0] if isinstance(out, tuple) else out
    assert logits.shape == (len(x), classes)
    models.inception_loss(out, mc.randint(0, classes, (len(x),))).backward()
    return out


def test_lenet5_is_built_for_the_data_channels():
    model = zoo.lookup("lenet5").build(7, 3, 32)
    _train_step(model, mc.randn(2, 3, 32, 32), 7)


def test_inception_v3_leaves_its_auxiliary_head_out_below_299():
    entry = zoo.lookup("inception_v3")
    model = entry.build(5, 3, 75)
    assert model.AuxLogits is None
    assert not isinstance(_train_step(model, mc.randn(2, 3, 75, 75), 5), tuple)


def test_a_distilled_deit_trains_on_the_mean_of_its_heads():
    model = zoo.lookup("deit_small_distilled_patch16_224").build(4, 1, 16)
    assert model.input_size == (1, 16, 16)
    assert not isinstance(_train_step(model, mc.randn(2, 1, 16, 16), 4), tuple)


def test_clip_trains_as_its_image_tower_with_a_linear_head():
    model = zoo.lookup("clip_rn50").build(3, 3, 32)
    assert isinstance(model, models.CLIPImageClassifier)
    assert not any(key.startswith(("transformer.", "token_embedding"))
                   for key in model.state_dict())
    _train_step(model, mc.randn(2, 3, 32, 32), 3)
