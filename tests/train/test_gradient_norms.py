"""GradientNormRecorder: each layer's gradient norm per step of fit, and the picture it
exists for: a deep plain network's first layers get far smaller gradients than a ResNet's."""
import numpy as np

import minicnn as mc
from minicnn import nn
from minicnn.data import DataLoader, TensorDataset
from minicnn.train import GradientNormRecorder

DEPTH, WIDTH = 16, 8


class Residual(nn.Module):
    """x + conv(x), then ReLU: the identity path carries the gradient past the conv."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(WIDTH, WIDTH, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(x + self.conv(x))


def network(residual, seed=0):
    """A stem, DEPTH 3×3 convolutions (plain: conv, ReLU; residual: blocks), a linear head;
    no normalisation, default initialisation."""
    mc.manual_seed(seed)
    body = [Residual() if residual else nn.Sequential(nn.Conv2d(WIDTH, WIDTH, 3, padding=1),
                                                      nn.ReLU()) for _ in range(DEPTH)]
    return nn.Sequential(nn.Conv2d(3, WIDTH, 3, padding=1), *body,
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(WIDTH, 4))


def loader():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3, 8, 8)).astype(np.float32)
    return DataLoader(TensorDataset(mc.tensor(x), mc.tensor(rng.integers(0, 4, 32))),
                      batch_size=8)


def record(model, steps=3):
    recorder = GradientNormRecorder()
    mc.train.fit(model, loader(), mc.optim.SGD(model.parameters(), lr=0.01), progress=False,
                 callbacks=[recorder], max_steps=steps)
    return recorder


def test_records_every_layer_at_every_step():
    model = network(residual=False)
    recorder = record(model)
    assert recorder.steps == [1, 2, 3]
    names = [name for name, m in model.named_modules() if list(m.parameters(recurse=False))]
    assert list(recorder.norms) == names and len(names) == DEPTH + 2
    assert all(len(v) == 3 and all(n > 0 for n in v) for v in recorder.norms.values())
    last = model[-1]
    expected = np.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum())
                           for p in last.parameters()))
    assert np.isclose(recorder.norms[names[-1]][-1], expected)


def test_a_plain_network_starves_its_first_layers_and_a_resnet_does_not(tmp_path):
    plain, resnet = record(network(residual=False)), record(network(residual=True))
    first_plain, first_resnet = (r.mean_norms()["1.0" if r is plain else "1.conv"]
                                 for r in (plain, resnet))
    last_plain, last_resnet = plain.mean_norms()[str(DEPTH + 3)], \
        resnet.mean_norms()[str(DEPTH + 3)]
    assert first_resnet > 100 * first_plain
    assert first_plain < 1e-3 * last_plain               # the plain net's gradient vanishes
    assert first_resnet > 1e-2 * last_resnet             # the residual one's does not
    path = plain.plot(tmp_path / "norms.png")
    assert path == tmp_path / "norms.png" and path.stat().st_size > 0
