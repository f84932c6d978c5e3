"""The small network and the momentum-SGD steps that test_ddp.py trains both data-parallel
(ddp_job.py, in several processes) and alone on the whole batch, to compare them."""
import numpy as np

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

PER_RANK = 4
STEPS = 4
LR, MOMENTUM, WEIGHT_DECAY = 0.05, 0.9, 1e-3


class Net(nn.Module):
    """Two convolutions (with BatchNorm when `batchnorm`), a linear head, and a head that
    forward never uses (its gradient must stay None on every rank)."""

    def __init__(self, batchnorm=False):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3)
        self.norm = nn.BatchNorm2d(6) if batchnorm else nn.Identity()
        self.conv2 = nn.Conv2d(6, 8, 3, stride=2)
        self.fc = nn.Linear(8 * 3 * 3, 5)
        self.unused = nn.Linear(5, 5)

    def forward(self, x):
        x = F.relu(self.norm(self.conv1(x)))
        return self.fc(F.relu(self.conv2(x)).flatten(1))


def make_net(seed, batchnorm=False):
    mc.manual_seed(seed)
    return Net(batchnorm)


def global_batches(world_size):
    """STEPS batches of PER_RANK × world_size images and labels."""
    rng = np.random.default_rng(0)
    n = PER_RANK * world_size
    return [(rng.standard_normal((n, 3, 10, 10)).astype(np.float32),
             rng.integers(0, 5, n)) for _ in range(STEPS)]


def optimizer(model):
    return mc.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM,
                        weight_decay=WEIGHT_DECAY)


def train(model, batches, device="cpu", step=None):
    """Momentum SGD over `batches` ((images, labels) arrays); `step(model, x, y)` replaces
    the plain forward and backward of one batch."""
    opt = optimizer(model)
    for images, labels in batches:
        opt.zero_grad()
        x, y = mc.tensor(images, device=device), mc.tensor(labels, device=device)
        if step is None:
            F.cross_entropy(model(x), y).backward()
        else:
            step(model, x, y)
        opt.step()
    return model


def arrays_of(model):
    """The state_dict as NumPy arrays, plus each parameter's gradient (or its absence)."""
    out = {k: np.asarray(v.cpu()) for k, v in model.state_dict().items()}
    for name, p in model.named_parameters():
        out[f"grad:{name}"] = np.asarray(p.grad.cpu()) if p.grad is not None else np.array([])
    return out
