"""LeNet-5: parameter counts per layer, layer kinds per variant, output shapes, a training
step that lowers the loss, the same logits as the same network in PyTorch, summary."""
from collections import OrderedDict

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim
from minicnn.models import LeNet5, lenet5
from minicnn.nn.summary import summary

VARIANTS = ["modern", "classic"]
LAYERS = {"features.0": ("C1", 156), "features.3": ("C3", 2416), "features.6": ("C5", 48120),
          "classifier.1": ("F6", 10164), "classifier.3": ("output", 850)}


def _params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("variant", VARIANTS)
def test_parameter_counts_per_layer(variant):
    model = lenet5(variant)
    modules = dict(model.named_modules())
    for name, (label, count) in LAYERS.items():
        assert _params(modules[name]) == count, label
    assert _params(model) == 61706 == sum(count for _, count in LAYERS.values())


@pytest.mark.parametrize("variant, act, pool", [("modern", nn.ReLU, nn.MaxPool2d),
                                                ("classic", nn.Tanh, nn.AvgPool2d)])
def test_variant_activations_and_pooling(variant, act, pool):
    model = lenet5(variant)
    kinds = [type(m) for m in model.modules()]
    assert kinds.count(act) == 4 and kinds.count(pool) == 2
    other_act, other_pool = {nn.ReLU: nn.Tanh, nn.Tanh: nn.ReLU}[act], \
        {nn.MaxPool2d: nn.AvgPool2d, nn.AvgPool2d: nn.MaxPool2d}[pool]
    assert other_act not in kinds and other_pool not in kinds
    assert model.variant == variant


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("batch, classes, channels", [(2, 10, 1), (3, 7, 3), (1, 2, 1)])
def test_output_shape(variant, batch, classes, channels):
    mc.manual_seed(0)
    model = lenet5(variant, num_classes=classes, in_channels=channels)
    assert model.input_size == (channels, 32, 32)
    out = model(mc.randn(batch, channels, 32, 32)).detach()
    assert tuple(out.shape) == (batch, classes)
    assert np.all(np.isfinite(out.numpy()))
    assert _params(model) == 61706 + 150 * (channels - 1) + 85 * (classes - 10)


def test_class_and_function_build_the_same_network():
    assert isinstance(lenet5(), LeNet5)
    assert lenet5().state_dict().keys() == LeNet5("classic").state_dict().keys()


@pytest.mark.parametrize("bad", ["tanh", "Modern", ""])
def test_bad_variant_is_named(bad):
    with pytest.raises(ValueError, match=f"variant.*{bad!r}"):
        lenet5(bad)


@pytest.mark.parametrize("variant", VARIANTS)
def test_sgd_steps_lower_the_loss(variant):
    mc.manual_seed(0)
    model = lenet5(variant)
    rng = np.random.default_rng(0)
    batches = [(mc.tensor(rng.standard_normal((8, 1, 32, 32)).astype(np.float32)),
                mc.tensor(rng.integers(0, 10, 8))) for _ in range(2)]
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def total_loss():
        with mc.no_grad():
            return sum(float(nn.functional.cross_entropy(model(x), y).item())
                       for x, y in batches)

    before = total_loss()
    for _ in range(5):
        for x, y in batches:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    assert total_loss() < 0.9 * before


def _torch_lenet(torch, variant, classes, channels):
    tnn = torch.nn
    act = tnn.ReLU if variant == "modern" else tnn.Tanh
    pool = tnn.MaxPool2d if variant == "modern" else tnn.AvgPool2d
    return tnn.Sequential(OrderedDict(
        features=tnn.Sequential(tnn.Conv2d(channels, 6, 5), act(), pool(2),
                                tnn.Conv2d(6, 16, 5), act(), pool(2),
                                tnn.Conv2d(16, 120, 5), act()),
        classifier=tnn.Sequential(tnn.Flatten(), tnn.Linear(120, 84), act(),
                                  tnn.Linear(84, classes))))


@pytest.mark.parametrize("variant, classes, channels", [("modern", 10, 1), ("classic", 10, 1),
                                                        ("modern", 5, 3)])
def test_same_logits_as_pytorch(variant, classes, channels):
    torch = pytest.importorskip("torch")
    mc.manual_seed(1)
    model = lenet5(variant, num_classes=classes, in_channels=channels)
    reference = _torch_lenet(torch, variant, classes, channels)
    ours = model.state_dict()
    assert set(ours) == set(reference.state_dict())
    reference.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.items()})
    x = np.random.default_rng(2).standard_normal((4, channels, 32, 32)).astype(np.float32)
    model.eval()
    got = model(mc.tensor(x)).detach().numpy()
    with torch.no_grad():
        want = reference.eval()(torch.tensor(x)).numpy()
    assert got.shape == want.shape == (4, classes)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("variant", VARIANTS)
def test_summary_rows(variant, capsys):
    model = lenet5(variant).train()
    model.classifier[1].eval()                  # summary must leave every mode as it was
    rows = summary(model, (1, 32, 32), batch_size=2)
    assert model.training and not model.classifier[1].training and model.features.training
    by_name = {r["name"]: r for r in rows}
    assert by_name["features.0"]["output_shape"] == (2, 6, 28, 28)
    assert by_name["features.2"]["output_shape"] == (2, 6, 14, 14)
    assert by_name["features.5"]["output_shape"] == (2, 16, 5, 5)
    assert by_name["features.6"]["output_shape"] == (2, 120, 1, 1)
    assert by_name["classifier.3"]["output_shape"] == (2, 10)
    for name, (_, count) in LAYERS.items():
        assert by_name[name]["params"] == count
    assert sum(r["params"] for r in rows) == 61706
    text = capsys.readouterr().out
    assert "total parameters: 61,706  (trainable 61,706)" in text
    assert len(text.strip().splitlines()) == len(rows) + 7   # header, rules, 4 totals


def test_summary_depth_one():
    rows = summary(lenet5(), (1, 32, 32), depth=1, print_table=False)
    assert [(r["name"], r["type"], r["output_shape"], r["params"]) for r in rows] == [
        ("features", "Sequential", (1, 120, 1, 1), 156 + 2416 + 48120),
        ("classifier", "Sequential", (1, 10), 10164 + 850)]
