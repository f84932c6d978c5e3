"""Shared checks for the model zoo: parameter counts and state_dict keys against the fixtures
written from torchvision/timm/open_clip (tests/models/make_fixtures.py), a few SGD steps that
lower the loss, train/eval differences, and logits parity with the reference library when it
imports (skipped otherwise, as in CI)."""
import importlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim

FIXTURES = Path(__file__).parent / "fixtures"


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def load_fixture(name):
    """{"source", "reference", "kwargs", "params", "state_dict": [[key, shape], ...]}."""
    with open(FIXTURES / f"{name}.json") as f:
        return json.load(f)


def assert_matches_fixture(model, name, prefix=""):
    """state_dict keys and shapes equal the reference library's, in any order, and the parameter
    count too; `prefix` compares only the fixture keys under it (e.g. "visual.")."""
    fixture = load_fixture(name)
    expected = {k[len(prefix):]: tuple(s) for k, s in fixture["state_dict"] if k.startswith(prefix)}
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    missing = sorted(set(expected) - set(ours))
    unexpected = sorted(set(ours) - set(expected))
    assert not missing and not unexpected, \
        f"{name}: missing {missing[:8]} ({len(missing)}), unexpected {unexpected[:8]} " \
        f"({len(unexpected)})"
    wrong = {k: (ours[k], expected[k]) for k in expected if ours[k] != expected[k]}
    assert not wrong, f"{name}: shapes differ (ours, reference): {dict(list(wrong.items())[:8])}"
    if not prefix:
        assert param_count(model) == fixture["params"]


def reference_model(name):
    """The reference library's model for fixture `name`, randomly initialised, with random BN
    running statistics so that eval-mode normalisation is exercised; skips if it does not import."""
    fixture = load_fixture(name)
    source = fixture["source"]
    torch = pytest.importorskip("torch")
    if source == "torchvision":
        module = pytest.importorskip("torchvision.models")
        ref = getattr(module, fixture["reference"])(**fixture["kwargs"])
    elif source == "timm":
        timm = pytest.importorskip("timm")
        ref = timm.create_model(fixture["reference"], pretrained=False, **fixture["kwargs"])
    else:
        open_clip = pytest.importorskip("open_clip")
        ref = open_clip.create_model(fixture["reference"], pretrained=None, **fixture["kwargs"])
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for key, buf in ref.named_buffers():
            if key.endswith("running_mean"):
                buf.copy_(torch.randn(buf.shape, generator=generator) * 0.1)
            elif key.endswith("running_var"):
                buf.copy_(torch.rand(buf.shape, generator=generator) + 0.5)
    return ref.eval()


def load_reference_weights(model, ref):
    """Copy the reference model's state_dict into `model`, strictly."""
    model.load_state_dict(mc.io.from_torch(ref.state_dict()))
    return model


def relative_error(ours, reference):
    ours, reference = np.asarray(ours, np.float64), np.asarray(reference, np.float64)
    return float(np.max(np.abs(ours - reference)) / max(np.max(np.abs(reference)), 1e-30))


def record_parity(name, error):
    """Append the measured error to $MINICNN_PARITY_LOG (JSON lines) when it is set."""
    log = os.environ.get("MINICNN_PARITY_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"model": name, "max_rel_error": error}) + "\n")


def assert_logits_parity(model, name, input_shape, rtol=1e-4, seed=0, forward=None):
    """Eval-mode outputs of `model` with the reference's weights equal the reference's to
    `rtol` relative (max |ours − ref| / max |ref|); `forward(module, x)` defaults to calling it."""
    torch = pytest.importorskip("torch")
    ref = reference_model(name)
    load_reference_weights(model, ref).eval()
    x = np.random.default_rng(seed).standard_normal(input_shape).astype(np.float32)
    forward = forward or (lambda module, inputs: module(inputs))
    with torch.no_grad():
        expected = forward(ref, torch.from_numpy(x)).numpy()
    with mc.no_grad():
        ours = forward(model, mc.tensor(x)).numpy()
    assert ours.shape == expected.shape
    error = relative_error(ours, expected)
    record_parity(name, error)
    assert error <= rtol, f"{name}: max relative error {error:.3g} > {rtol}"
    return error


def two_batches(input_shape, num_classes, seed=0):
    """Two fixed random (inputs, labels) batches; input_shape includes the batch."""
    rng = np.random.default_rng(seed)
    return [(mc.tensor(rng.standard_normal(input_shape).astype(np.float32)),
             mc.tensor(rng.integers(0, num_classes, input_shape[0]))) for _ in range(2)]


def _measuring_mode(model):
    """Training mode with every dropout off: BatchNorm normalises with the batch's own
    statistics (a few steps from a fresh init leave the running ones far from them, and deep
    BN nets' eval outputs can blow up at small inputs), and the loss is deterministic."""
    model.train()
    for module in model.modules():
        if "Drop" in type(module).__name__:
            module.training = False


def assert_sgd_lowers_loss(model, input_shape, num_classes, lr=0.01, steps=3, loss_fn=None,
                           seed=0):
    """A few SGD(momentum) steps on two fixed batches lower their summed loss, measured before
    and after with batch statistics and dropout off (see _measuring_mode)."""
    batches = two_batches(input_shape, num_classes, seed)
    loss_fn = loss_fn or (lambda out, y: nn.functional.cross_entropy(out, y))
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    def total_loss():
        _measuring_mode(model)
        with mc.no_grad():
            return sum(float(loss_fn(model(x), y).item()) for x, y in batches)

    before = total_loss()
    model.train()
    for _ in range(steps):
        for x, y in batches:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
    after = total_loss()
    model.eval()
    assert np.isfinite(after) and after < before, (before, after)


def assert_train_eval_differ(model, x):
    """Dropout and BatchNorm make train-mode outputs differ from eval-mode ones, and eval is
    deterministic."""
    model.eval()
    with mc.no_grad():
        first, second = model(x).numpy(), model(x).numpy()
        np.testing.assert_array_equal(first, second)
        model.train()
        out = model(x)
        train = (out[0] if isinstance(out, (tuple, list)) else out).numpy()
    model.eval()
    assert not np.allclose(train, first)


def libraries_importable(*names):
    """True when every module in `names` imports (the parity tests' condition)."""
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            return False
    return True
