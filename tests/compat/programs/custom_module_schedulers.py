"""A custom module (its own Parameter, a buffer, ModuleList, ModuleDict, LazyLinear) trained
full-batch with parameter groups, and the learning-rate schedulers PyTorch programs use."""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import SGD, Adam
from torch.optim.lr_scheduler import (CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR,
                                      MultiStepLR, OneCycleLR, SequentialLR, StepLR)

from _shared import report, shape, share_initial_weights


class ScaledResidualMLP(nn.Module):
    def __init__(self, width=16, depth=3):
        super().__init__()
        self.stem = nn.LazyLinear(width)
        self.blocks = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.heads = nn.ModuleDict({"mean": nn.Linear(width, 1), "spread": nn.Linear(width, 1)})
        self.scale = nn.Parameter(torch.ones(1) * 0.5)
        self.register_buffer("calls", torch.zeros(1))

    def forward(self, x):
        self.calls += 1
        h = torch.tanh(self.stem(x))
        for block in self.blocks:
            h = h + self.scale * F.relu(block(h))
        return self.heads["mean"](h), F.softplus(self.heads["spread"](h))


rng = np.random.default_rng(1)
x = torch.from_numpy(rng.standard_normal((128, 5)).astype(np.float32))
y = torch.from_numpy((np.sin(x.numpy()).sum(1, keepdims=True) * 0.5).astype(np.float32))

torch.manual_seed(0)
model = ScaledResidualMLP()
model(x[:1])                                   # the dry run that sizes the LazyLinear
share_initial_weights(torch, model)
optimizer = Adam([{"params": [p for n, p in model.named_parameters() if n != "scale"]},
                  {"params": [model.scale], "lr": 1e-3}], lr=1e-2)
scheduler = StepLR(optimizer, step_size=10, gamma=0.5)
losses = []
for step in range(30):
    optimizer.zero_grad()
    mean, spread = model(x)
    loss = F.mse_loss(mean, y) + 1e-3 * spread.mean()
    loss.backward()
    optimizer.step()
    scheduler.step()
    losses.append(loss.item())


def schedule(make, steps=12, **sgd):
    opt = SGD([torch.zeros(2, requires_grad=True)], lr=0.1, **sgd)
    sched = make(opt)
    rates = []
    for _ in range(steps):
        opt.step()
        sched.step()
        rates.append(sched.get_last_lr()[0])
    return rates


rates = {
    "step": schedule(lambda o: StepLR(o, step_size=3, gamma=0.1)),
    "multistep": schedule(lambda o: MultiStepLR(o, milestones=[2, 5, 9], gamma=0.5)),
    "exponential": schedule(lambda o: ExponentialLR(o, gamma=0.9)),
    "cosine": schedule(lambda o: CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
    "onecycle": schedule(lambda o: OneCycleLR(o, max_lr=1.0, total_steps=13), momentum=0.9),
    "lambda": schedule(lambda o: LambdaLR(o, lr_lambda=lambda epoch: 0.95 ** epoch)),
    "warmup then cosine": schedule(lambda o: SequentialLR(
        o, [LinearLR(o, start_factor=0.1, total_iters=3), CosineAnnealingLR(o, T_max=9)],
        milestones=[3])),
}
report(shapes={"mean": shape(mean), "stem weight": shape(model.stem.weight)},
       losses={"train": losses},
       values={"losses": losses, "rates": rates, "calls": model.calls.item(),
               "parameters": sum(p.numel() for p in model.parameters()),
               "state keys": sorted(model.state_dict()), "lr": scheduler.get_last_lr()},
       checks={"lazy became Linear": type(model.stem) is nn.Linear,
               "cosine ends at eta_min": math.isclose(rates["cosine"][9], 0.001, rel_tol=1e-6)})
