"""Saving and loading through state_dict: a checkpoint of model, optimizer and epoch written
with torch.save mid-training, loaded into fresh objects with torch.load, training resumed;
the resumed run must match the run that never stopped. Also strict=False loading."""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from _shared import report, shape, share_initial_weights, workdir


class SmallConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8),
                                      nn.ReLU(inplace=True), nn.MaxPool2d(2))
        self.classifier = nn.Linear(8 * 4 * 4, 3)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


rng = np.random.default_rng(0)
images = torch.from_numpy(rng.standard_normal((48, 1, 8, 8)).astype(np.float32))
labels = torch.from_numpy(rng.integers(0, 3, 48))


def batches():
    for start in range(0, 48, 16):
        yield images[start:start + 16], labels[start:start + 16]


def run_epochs(model, optimizer, epochs):
    losses = []
    for _ in range(epochs):
        model.train()
        for x, y in batches():
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def fresh():
    model = SmallConvNet()
    share_initial_weights(torch, model)
    return model, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)


torch.manual_seed(0)
model, optimizer = fresh()
straight = run_epochs(model, optimizer, 4)

model, optimizer = fresh()
first_half = run_epochs(model, optimizer, 2)
path = os.path.join(workdir(), "checkpoint.pt")
torch.save({"epoch": 2, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(), "loss": first_half[-1]}, path)

model, optimizer = fresh()
checkpoint = torch.load(path)
model.load_state_dict(checkpoint["model_state_dict"])
optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
resumed = first_half + run_epochs(model, optimizer, 4 - checkpoint["epoch"])

model.eval()
with torch.no_grad():
    evaluated = model(images[:4])
partial = SmallConvNet()
result = partial.load_state_dict({k: v for k, v in model.state_dict().items()
                                  if k.startswith("features")}, strict=False)
report(shapes={"logits": shape(evaluated)},
       losses={"straight": straight, "resumed": resumed},
       values={"straight": straight, "evaluated": evaluated.tolist(),
               "missing": result.missing_keys, "unexpected": len(result.unexpected_keys),
               "running mean": model.features[1].running_mean.tolist(),
               "batches tracked": model.features[1].num_batches_tracked.item(),
               "saved keys": sorted(checkpoint["model_state_dict"])},
       checks={"resumed equals straight": np.allclose(resumed, straight, rtol=1e-5, atol=1e-6),
               "momentum saved":
                   "momentum_buffer" in checkpoint["optimizer_state_dict"]["state"][0],
               "epoch saved": checkpoint["epoch"] == 2})
