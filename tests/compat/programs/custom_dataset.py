"""A custom Dataset (from NumPy arrays) split with random_split and a seeded Generator,
DataLoaders with the worker options PyTorch programs pass (num_workers, pin_memory,
worker_init_fn, generator, persistent_workers, prefetch_factor), and an MLP regressor."""
import random

import numpy as np
import torch
from torch import nn, optim
from torch.utils.data import DataLoader, Dataset, Subset, random_split

from _shared import report, shape, share_initial_weights


class Waves(Dataset):
    """y = sin(3·x₀) + x₁·x₂ from fixed random inputs."""

    def __init__(self, n=400):
        rng = np.random.default_rng(0)
        self.x = rng.uniform(-1, 1, (n, 3)).astype(np.float32)
        self.y = (np.sin(3 * self.x[:, :1]) + self.x[:, 1:2] * self.x[:, 2:3]).astype(np.float32)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return torch.from_numpy(self.x[idx]), torch.tensor(self.y[idx])


def seed_worker(worker_id):
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)


torch.manual_seed(0)
g = torch.Generator()
g.manual_seed(0)
data = Waves()
train_set, val_set = random_split(data, [0.75, 0.25], generator=torch.Generator().manual_seed(42))
train_loader = DataLoader(train_set, batch_size=32, shuffle=True, num_workers=2, pin_memory=True,
                          worker_init_fn=seed_worker, generator=g, persistent_workers=True,
                          prefetch_factor=2)
val_loader = DataLoader(Subset(data, list(range(300, 400))), batch_size=50)

model = nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
share_initial_weights(torch, model)
loss_fn = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=0.01)


def evaluate():
    model.eval()
    with torch.no_grad():
        return sum(loss_fn(model(x), y).item() * len(x) for x, y in val_loader) / 100


before = evaluate()
epoch_losses = []
for epoch in range(8):
    model.train()
    total = 0.0
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
    epoch_losses.append(total / len(train_set))
x, y = next(iter(train_loader))
again = random_split(data, [0.75, 0.25], generator=torch.Generator().manual_seed(42))
report(shapes={"batch x": shape(x), "batch y": shape(y), "sample": shape(data[0][0])},
       losses={"train": epoch_losses, "validation": [before, evaluate()]},
       values={"split": [len(train_set), len(val_set)], "initial validation loss": before,
               "batches": len(train_loader)},
       checks={"split covers the data":
                   sorted(train_set.indices + val_set.indices) == list(range(400)),
               "split repeats": again[0].indices == train_set.indices})
