"""The auxiliary classifiers' weights of GoogLeNet (0.3 each) and Inception-v3 (0.4), with
label smoothing on every term, as `minicnn train` builds them: its loss of a zoo model's
training outputs against the weighted sum computed by hand; eval mode gives the main head."""
import numpy as np
import pytest

import minicnn as mc
from minicnn.cli import train_command, train_settings, zoo
from minicnn.models import GoogLeNetOutputs, InceptionOutputs, inception_loss
from minicnn.nn import functional as F


def ce(logits, target, smoothing):
    return float(F.cross_entropy(logits, target, label_smoothing=smoothing).item())


def cli_loss(name, **given):
    """The loss `minicnn train NAME` trains with, and its resolved settings."""
    entry = zoo.lookup(name)
    settings = train_settings.resolve(entry.family, given)
    return train_command._loss(entry, settings), settings


def test_googlenet_trains_on_its_main_loss_plus_0_3_of_each_auxiliary_one():
    mc.manual_seed(0)
    model = zoo.lookup("googlenet").build(num_classes=4, channels=3, size=64).train()
    target = mc.tensor(np.array([0, 1, 2, 3]))
    outputs = model(mc.randn(4, 3, 64, 64))
    assert isinstance(outputs, GoogLeNetOutputs)
    loss_fn, settings = cli_loss("googlenet", label_smoothing=0.2)
    main, aux2, aux1 = (ce(out, target, 0.2) for out in outputs)
    expected = main + 0.3 * aux2 + 0.3 * aux1
    assert float(loss_fn(outputs, target).item()) == pytest.approx(expected, rel=1e-5)
    assert settings["label_smoothing"] == 0.2
    with mc.no_grad():
        assert isinstance(model.eval()(mc.randn(1, 3, 64, 64)), mc.Tensor)


def test_inception_v3_trains_on_0_4_of_its_auxiliary_loss_with_the_papers_smoothing():
    loss_fn, settings = cli_loss("inception_v3")
    assert settings["label_smoothing"] == 0.1       # the family default: the paper's
    rng = np.random.default_rng(0)
    logits, aux = (mc.tensor(rng.standard_normal((3, 5)).astype(np.float32)) for _ in range(2))
    target = mc.tensor(np.array([4, 0, 2]))
    got = float(loss_fn(InceptionOutputs(logits, aux), target).item())
    assert got == pytest.approx(ce(logits, target, 0.1) + 0.4 * ce(aux, target, 0.1), rel=1e-6)
    assert float(loss_fn(logits, target).item()) == pytest.approx(ce(logits, target, 0.1))


def test_inception_v3_has_its_auxiliary_head_from_299_pixels():
    entry = zoo.lookup("inception_v3")
    assert entry.rule.output == "aux" and entry.family == "inception"
    assert entry.build(10, 3, 299).AuxLogits is not None
    assert entry.build(10, 3, 75).AuxLogits is None


def test_the_other_families_keep_no_label_smoothing_by_default():
    for name in ("googlenet", "alexnet", "vgg11", "resnet18", "inception_v4"):
        assert cli_loss(name)[1]["label_smoothing"] == 0.0, name


def test_the_weight_follows_the_type_of_the_outputs():
    rng = np.random.default_rng(1)
    a, b, c = (mc.tensor(rng.standard_normal((2, 3)).astype(np.float32)) for _ in range(3))
    target = mc.tensor(np.array([0, 2]))
    plain = [ce(t, target, 0.0) for t in (a, b, c)]
    assert float(inception_loss(InceptionOutputs(a, b), target).item()) == \
        pytest.approx(plain[0] + 0.4 * plain[1], rel=1e-6)
    assert float(inception_loss(GoogLeNetOutputs(a, b, c), target).item()) == \
        pytest.approx(plain[0] + 0.3 * (plain[1] + plain[2]), rel=1e-6)
    assert float(inception_loss((a, b), target).item()) == \
        pytest.approx(plain[0] + 0.3 * plain[1], rel=1e-6)
    assert float(inception_loss(InceptionOutputs(a, b), target, aux_weight=1.0).item()) == \
        pytest.approx(plain[0] + plain[1], rel=1e-6)
    with pytest.raises(ValueError, match=r"inception_loss: aux_weight must be >= 0, got -1"):
        inception_loss(InceptionOutputs(a, b), target, aux_weight=-1)
