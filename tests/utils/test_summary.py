"""summary and count_macs: MACs per layer kind counted by hand, shared layers per call,
tuple outputs, depth aggregation, output bytes, totals, restored modes, the table, and the
zoo's published MAC counts."""
from collections import namedtuple

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn
from minicnn.nn.summary import summary, trace
from minicnn.utils import count_macs

KEYS = ["name", "type", "output_shape", "groups", "params", "macs", "receptive_field",
        "activation_bytes"]


def _macs(model, input_size, batch_size=1):
    return [r["macs"] for r in summary(model, input_size, batch_size, print_table=False)]


@pytest.mark.parametrize("layer, input_size, batch, macs", [
    # N·C_out·H_out·W_out · (C_in/groups)·kh·kw
    (nn.Conv2d(3, 8, 3, padding=1), (3, 16, 16), 2, 2 * 8 * 16 * 16 * 3 * 9),
    (nn.Conv2d(8, 16, 3, stride=2, groups=4), (8, 9, 9), 1, 16 * 4 * 4 * 2 * 9),
    (nn.Conv2d(6, 6, (1, 5), groups=6, dilation=2), (6, 7, 12), 1, 6 * 7 * 4 * 1 * 5),
    # per input pixel: N·C_in·H_in·W_in · (C_out/groups)·kh·kw
    (nn.ConvTranspose2d(4, 6, 4, stride=2, groups=2), (4, 5, 5), 3, 3 * 4 * 5 * 5 * 3 * 16),
    # output elements · in_features, any leading shape
    (nn.Linear(10, 7), (5, 10), 2, 2 * 5 * 7 * 10),
    (nn.Sequential(nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2), nn.AvgPool2d(2),
                   nn.AdaptiveAvgPool2d(1), nn.Dropout(), nn.LayerNorm(1)), (3, 8, 8), 1, 0),
])
def test_macs_per_layer_kind(layer, input_size, batch, macs):
    model = nn.Sequential(layer)
    assert sum(_macs(model, input_size, batch)) == macs
    assert count_macs(model, input_size, batch) == macs


class _SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x):                                  # (N, L, 8)
        return self.attn(x, x, x, need_weights=False)[0]


class _CrossAttention(nn.Module):
    """Queries from one sequence, keys and values from another (kdim, vdim ≠ embed_dim)."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, kdim=4, vdim=6, batch_first=True)
        self.to_kv = nn.Linear(5, 10)

    def forward(self, x):                                  # (N, 5, 8)
        kv = self.to_kv(x[:, :3, :5])                       # (N, 3, 10)
        return self.attn(x, key=kv[..., :4], value=kv[..., 4:])[0]


def test_attention_counts_its_projections_per_token():
    # self-attention, 2 images × 5 tokens, E = 8: q, k, v and out each tokens·E·E
    assert count_macs(_SelfAttention(), (5, 8), batch_size=2) == 4 * 10 * 8 * 8
    # cross-attention: q 10 tokens·8·8, k 6 tokens·4·8, v 6 tokens·6·8, out 10·8·8; to_kv
    # 6 tokens·5·10; key and value passed by name
    rows = {r["name"]: r for r in summary(_CrossAttention(), (5, 8), 2, print_table=False)}
    assert rows["attn"]["macs"] == 640 + 192 + 288 + 640
    assert rows["to_kv"]["macs"] == 6 * 5 * 10
    assert rows["attn"]["type"] == "MultiheadAttention" and "attn.out_proj" not in rows


class _Shared(nn.Module):
    """The same convolution applied twice, a residual add between modules."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        return self.head(self.conv(self.conv(x)) + x)


def test_a_shared_layer_is_counted_per_call():
    rows = summary(_Shared(), (4, 6, 6), print_table=False)
    assert [r["name"] for r in rows] == ["conv", "conv", "head"]
    one = 4 * 6 * 6 * 4 * 9
    assert [r["macs"] for r in rows] == [one, one, 2 * 6 * 6 * 4]
    assert [r["receptive_field"] for r in rows] == [3, 5, 5]
    assert count_macs(_Shared(), (4, 6, 6)) == 2 * one + 2 * 6 * 6 * 4


Heads = namedtuple("Heads", "logits aux")


class _TwoHeads(nn.Module):
    """Returns a namedtuple (as GoogLeNet does in training); the aux head runs in training."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten())
        self.heads = nn.ModuleList([nn.Linear(2 * 4 * 4, 3), nn.Linear(2 * 4 * 4, 3)])
        self.split = nn.Sequential(nn.Conv2d(2, 2, 1), nn.MaxPool2d(2, return_indices=True))

    def forward(self, x):
        features = self.body(x)                             # (N, 32)
        values, _ = self.split(features.reshape(-1, 2, 4, 4))
        aux = self.heads[1](features) if self.training else values
        return Heads(self.heads[0](features), aux)


def test_tuple_outputs_and_modes_are_restored():
    model = _TwoHeads().train()
    model.heads[1].eval()
    rows = summary(model, (1, 6, 6), print_table=False)
    assert model.training and model.body.training and not model.heads[1].training
    by_name = {r["name"]: r for r in rows}
    assert "heads.1" not in by_name                          # eval: the aux head is not run
    assert by_name["split.1"]["output_shape"] == (1, 2, 2, 2)   # values, then indices
    values_bytes = 1 * 2 * 2 * 2 * 4                            # float32 values, int64 indices
    assert by_name["split.1"]["activation_bytes"] == values_bytes + 2 * values_bytes


def test_rows_keys_shapes_params_and_bytes():
    model = nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 4 * 4, 10))
    rows = summary(model, (3, 8, 8), batch_size=2, print_table=False)
    assert all(list(r) == KEYS for r in rows)
    assert [(r["name"], r["type"], r["output_shape"], r["params"]) for r in rows] == [
        ("0", "Conv2d", (2, 6, 4, 4), 456), ("1", "ReLU", (2, 6, 4, 4), 0),
        ("2", "Flatten", (2, 96), 0), ("3", "Linear", (2, 10), 970)]
    assert [r["activation_bytes"] for r in rows] == [768, 768, 768, 80]      # float32
    doubled = summary(model.double(), (3, 8, 8), batch_size=2, print_table=False)
    assert [r["activation_bytes"] for r in doubled] == [1536, 1536, 1536, 160]


def test_depth_aggregates_the_macs_inside():
    model = nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Sequential(nn.Conv2d(2, 2, 3))),
        nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    leaves = summary(model, (1, 8, 8), print_table=False)
    assert [r["name"] for r in leaves] == ["0.0", "0.1", "0.2.0", "1", "2"]
    conv1, conv2, fc = 2 * 6 * 6 * 9, 2 * 4 * 4 * 2 * 9, 3 * 32
    assert [r["macs"] for r in leaves] == [conv1, 0, conv2, 0, fc]
    top = summary(model, (1, 8, 8), depth=1, print_table=False)
    assert [(r["name"], r["macs"], r["receptive_field"]) for r in top] == [
        ("0", conv1 + conv2, 5), ("1", 0, 5), ("2", fc, 8)]
    two = summary(model, (1, 8, 8), depth=2, print_table=False)
    assert [r["name"] for r in two] == ["0.0", "0.1", "0.2", "1", "2"]
    assert count_macs(model, (1, 8, 8)) == conv1 + conv2 + fc


def test_count_macs_scales_with_the_batch_and_runs_without_graph():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    assert count_macs(model, (3, 8, 8), batch_size=3) == 3 * count_macs(model, (3, 8, 8))
    with mc.no_grad():
        rows = summary(model, (3, 8, 8), print_table=False)
        assert not mc.is_grad_enabled()
    assert rows[0]["receptive_field"] == 3


def test_the_table(capsys):
    model = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(64 * 32 * 32, 10))
    mc.summary(model, (3, 32, 32))
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["layer", "type", "output", "shape", "groups", "params", "MACs",
                                "RF", "output", "bytes"]
    assert set(lines[1]) == {"-"} and lines[1] == lines[6]
    assert lines[2].split() == ["0", "Conv2d", "(1,", "64,", "32,", "32)", "1", "1,792",
                                "1,769,472", "3", "262,144"]
    assert lines[3].split()[:3] == ["1", "ReLU", "(1,"] and lines[3].split()[6] == "-"
    assert lines[5].split()[-3:] == ["655,360", "32", "40"]   # whole input: max(3, 32)
    assert lines[5].split()[4] == "-"
    assert lines[7] == "total parameters: 657,162  (trainable 657,162)"
    assert lines[8] == "total MACs: 2,424,832  (2.42 M)"
    assert lines[9] == "total activation memory: 786,472 bytes  (768.04 KiB)"
    assert lines[10] == "receptive field of the final feature map: 3 pixels"
    assert len(lines) == 11


def test_groups_of_each_convolution():
    model = nn.Sequential(nn.Conv2d(4, 8, 3, groups=2), nn.Conv2d(8, 8, 3, groups=8),
                          nn.ConvTranspose2d(8, 4, 2, groups=4), nn.BatchNorm2d(4))
    rows = summary(model, (4, 9, 9), print_table=False)
    assert [r["groups"] for r in rows] == [2, 8, 4, None]


def test_mc_summary_is_the_utility_and_totals_count_trainable():
    assert mc.summary is mc.utils.summary
    frozen = nn.Linear(4, 2)
    frozen.weight.requires_grad = False
    rows, totals = trace(nn.Sequential(frozen, nn.Linear(2, 3)), (4,))
    assert [r["receptive_field"] for r in rows] == [None, None]      # not an image
    assert (totals["params"], totals["trainable"], totals["macs"]) == (19, 11, 8 + 6)
    assert totals["activation_bytes"] == (2 + 3) * 4 and totals["receptive_field"] is None


# torchvision's published GFLOPS are these MACs, at 224×224, one image; the receptive
# fields of chosen layers and of the final feature map (minicnn/nn/receptive_field.py)
ZOO = {
    # conv1 11/4, pool 3/2, conv2 5, pool 3/2, conv3-5 3×3: 11 19 51 67 99 131 163, pool5 195
    "alexnet": ({}, 714_188_480, {"features.0": 11, "features.2": 19, "features.3": 51,
                                  "features.10": 163, "features.12": 195}, 195),
    # conv1_1 3 ... conv5_3 196, pool5 212 (FC6 left uninitialised: construction is costly)
    "vgg16": ({"init_weights": False}, 15_470_264_320,
              {"features.0": 3, "features.4": 6, "features.28": 196, "features.30": 212}, 212),
    # stem 11; each 3×3 adds 2·jump: layer1 43, layer2 99, layer3 211, layer4 435
    "resnet18": ({}, 1_814_073_344, {"maxpool": 11, "layer1.1.conv2": 43,
                                     "layer2.1.conv2": 99, "layer3.1.conv2": 211,
                                     "layer4.1.conv2": 435}, 435),
    "mobilenet_v2": ({}, 300_774_272, {"features.0.0": 3, "features.1.conv.0.0": 7}, 491),
}


@pytest.mark.parametrize("name", ZOO)
def test_zoo_macs_and_receptive_fields(name):
    kwargs, macs, layers, final = ZOO[name]
    model = getattr(mc.models, name)(**kwargs)
    assert model.input_size == (3, 224, 224)
    rows, totals = trace(model, (3, 224, 224))
    assert totals["macs"] == sum(r["macs"] for r in rows) == macs
    fields = {r["name"]: r["receptive_field"] for r in rows}
    assert {layer: fields[layer] for layer in layers} == layers
    assert totals["receptive_field"] == final
    if name == "mobilenet_v2":                          # count_macs: the same count, no graph
        assert count_macs(model, (3, 224, 224)) == macs


def test_zoo_summary_totals_match_count_macs():
    model = mc.models.resnet18(num_classes=10)
    rows = summary(model, (3, 64, 64), print_table=False)
    assert sum(r["macs"] for r in rows) == count_macs(model, (3, 64, 64))
    assert sum(r["params"] for r in rows) == sum(p.numel() for p in model.parameters())
    assert [r["name"] for r in rows].count("layer1.0.relu") == 2    # BasicBlock's shared ReLU
    assert np.prod(rows[-1]["output_shape"]) == 10
