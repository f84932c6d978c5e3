"""`minicnn summary MODEL [--input C,H,W] [--depth D]`: the table for zoo models, the native
input size by default, in_channels only where the constructor takes it, clear errors."""
import pytest

import minicnn as mc
from minicnn.cli import main


def _table(capsys, *argv):
    assert main(["summary", *argv]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    rows = {}
    for line in lines[2:lines.index(lines[1], 2)]:
        rows.setdefault(line.split()[0], line.split())
    totals = lines[lines.index(lines[1], 2) + 1:]
    return lines[0].split(), rows, totals


def test_lenet5_at_its_native_size(capsys):
    header, rows, totals = _table(capsys, "lenet5")
    assert header == ["layer", "type", "output", "shape", "groups", "params", "MACs", "RF",
                      "output", "bytes"]
    # name, type, shape (4 words), groups, params, MACs = 6·28·28·25, RF, bytes = 6·28·28·4
    assert rows["features.0"] == ["features.0", "Conv2d", "(1,", "6,", "28,", "28)", "1", "156",
                                  "117,600", "5", "18,816"]
    assert rows["features.6"][-3:] == ["48,000", "32", "480"]
    assert totals == ["total parameters: 61,706  (trainable 61,706)",
                      "total MACs: 416,520  (416.52 K)",
                      "total activation memory: 58,888 bytes  (57.51 KiB)",
                      "receptive field of the final feature map: 32 pixels"]


def test_resnet18_at_a_small_input_and_by_depth(capsys):
    _, rows, totals = _table(capsys, "resnet18", "--input", "3,64,64")
    assert rows["conv1"][2:6] == ["(1,", "64,", "32,", "32)"]
    assert rows["layer1.0.conv1"][-2] == "19" and rows["layer4.1.conv2"][-2] == "435"
    macs = mc.utils.count_macs(mc.models.resnet18(), (3, 64, 64))
    assert totals[0] == "total parameters: 11,689,512  (trainable 11,689,512)"
    assert totals[1] == f"total MACs: {macs:,}  ({macs / 1e6:.2f} M)"
    assert totals[3] == "receptive field of the final feature map: 435 pixels"
    _, rows, _ = _table(capsys, "resnet18", "--input", "3,64,64", "--depth", "1")
    assert list(rows) == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3",
                          "layer4", "avgpool", "fc"]
    assert rows["layer4"][1] == "Sequential" and rows["layer4"][-2] == "435"


def test_in_channels_only_where_the_constructor_takes_them(capsys):
    _, rows, _ = _table(capsys, "lenet5", "--input", "3,32,32")
    assert rows["features.0"][7] == "456"                           # 3·25·6 + 6
    capsys.readouterr()
    assert main(["summary", "resnet18", "--input", "1,64,64"]) == 2   # no in_channels argument
    assert capsys.readouterr().err == ("minicnn summary: error: --input 1,64,64: resnet18 takes "
                                       "3 channels\n")


@pytest.mark.parametrize("name, message", [
    ("resnet9000", "unknown model 'resnet9000'; did you mean resnet50, resnet101 or "
                   "seresnet50?"),
    ("resnt18", "unknown model 'resnt18'; did you mean resnet18"),
    ("lenet", "unknown model 'lenet'; did you mean lenet5"),      # a module, not a model
    ("_inspect", "unknown model '_inspect'; `minicnn models` lists"),
    ("zzzzzzzz", "unknown model 'zzzzzzzz'; `minicnn models` lists the 49 models"),
    ("inception_loss", "unknown model 'inception_loss'"),         # needs arguments
    ("ResNet", "unknown model 'ResNet'"),                         # a class that needs arguments
])
def test_unknown_names_are_clear_errors(name, message, capsys):
    assert main(["summary", name]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"minicnn summary: error: {message}")
    assert err.count("\n") == 1


def test_model_names_are_case_insensitive(capsys):
    header, rows, totals = _table(capsys, "LeNet5")
    assert totals[0] == "total parameters: 61,706  (trainable 61,706)"


@pytest.mark.parametrize("argv, message", [
    (["vit_b_16", "--input", "3,40,40"], "--input 3,40,40: vit_b_16 takes sides that are a "
                                         "multiple of 16, at least 16"),
    (["vit_b_16", "--input", "3,32,48"], "--input 3,32,48: vit_b_16 takes square inputs"),
    (["alexnet", "--input", "3,32,32"], "--input 3,32,32: max_pool2d: output size (0, 0)"),
    (["lenet5", "--input", "1,32"], "argument --input: expected C,H,W as three positive"),
    (["lenet5", "--input", "0,32,32"], "argument --input: expected C,H,W as three positive"),
])
def test_bad_input_sizes_are_one_line(argv, message, capsys):
    try:
        status = main(["summary", *argv])
    except SystemExit as error:                   # argparse's own refusals exit at once
        status = error.code
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith(f"minicnn summary: error: {message}") and err.count("\n") == 1


def test_vit_at_a_small_input_is_built_for_it(capsys):
    _, rows, _ = _table(capsys, "vit_b_16", "--input", "3,32,32", "--depth", "1")
    assert rows["conv_proj"][2:6] == ["(1,", "768,", "2,", "2)"]


def test_the_papers_alexnet_by_variant_shows_its_groups(capsys):
    _, rows, totals = _table(capsys, "alexnet", "--variant", "paper")
    groups = 6                        # name, type, the shape in four words, groups
    assert rows["features.0"][2:6] == ["(1,", "96,", "55,", "55)"]         # 227×227 input
    assert [rows[f"features.{i}"][groups] for i in (0, 4, 8, 10, 12)] == ["1", "2", "1", "2",
                                                                          "2"]
    assert rows["features.2"][1] == "LocalResponseNorm" and rows["features.2"][groups] == "-"
    assert totals[0] == "total parameters: 60,965,224  (trainable 60,965,224)"
    _, rows, _ = _table(capsys, "lenet5", "--variant", "classic")
    assert rows["features.1"][1] == "Tanh"


@pytest.mark.parametrize("argv, message", [
    (["resnet18", "--variant", "paper"], "--variant paper: resnet18 has no variants"),
    (["alexnet", "--variant", "caffe"], "--variant caffe: alexnet has the variants "
                                        "torchvision, paper"),
])
def test_an_unknown_variant_is_one_line(argv, message, capsys):
    assert main(["summary", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"minicnn summary: error: {message}\n"
