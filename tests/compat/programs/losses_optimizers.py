"""Every loss and optimizer a training script picks from, on one small regression and one
small classification: the same initial weights and data, ten steps each, and the losses."""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

from _shared import report, share_initial_weights

rng = np.random.default_rng(0)
x = torch.from_numpy(rng.standard_normal((64, 6)).astype(np.float32))
target = torch.from_numpy((rng.standard_normal((64, 2)) * 2).astype(np.float32))
classes = torch.from_numpy(rng.integers(0, 3, 64))
binary = torch.from_numpy(rng.integers(0, 2, (64, 2)).astype(np.float32))

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
share_initial_weights(torch, model)
initial = {k: v.clone() for k, v in model.state_dict().items()}

criteria = {
    "mse": (nn.MSELoss(), lambda out: (out[:, :2], target)),
    "l1": (nn.L1Loss(), lambda out: (out[:, :2], target)),
    "smooth l1": (nn.SmoothL1Loss(beta=0.5), lambda out: (out[:, :2], target)),
    "huber": (nn.HuberLoss(delta=1.5), lambda out: (out[:, :2], target)),
    "bce": (nn.BCELoss(), lambda out: (torch.sigmoid(out[:, :2]), binary)),
    "bce with logits": (nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 2.0])),
                        lambda out: (out[:, :2], binary)),
    "cross entropy": (nn.CrossEntropyLoss(label_smoothing=0.1), lambda out: (out, classes)),
    "nll": (nn.NLLLoss(), lambda out: (torch.log_softmax(out, dim=1), classes)),
    "kl div": (nn.KLDivLoss(reduction="batchmean"),
               lambda out: (torch.log_softmax(out, dim=1), torch.full((64, 3), 1 / 3))),
}
optimizers = {
    "sgd nesterov": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "adam amsgrad": lambda p: optim.Adam(p, lr=0.01, amsgrad=True),
    "adamw": lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1),
    "rmsprop": lambda p: optim.RMSprop(p, lr=0.005, momentum=0.5),
    "adadelta": lambda p: optim.Adadelta(p, lr=1.0),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.05),
    "nadam": lambda p: optim.NAdam(p, lr=0.01),
    "radam": lambda p: optim.RAdam(p, lr=0.01),
}


def train(criterion, make_inputs, make_optimizer, steps=10):
    model.load_state_dict(initial)
    optimizer = make_optimizer(model.parameters())
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = criterion(*make_inputs(model(x)))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


by_loss = {name: train(*criteria[name], optimizers["adam amsgrad"]) for name in criteria}
by_optimizer = {name: train(*criteria["cross entropy"], make) for name, make in optimizers.items()}
report(losses={**{f"loss {k}": v for k, v in by_loss.items()},
               **{f"optimizer {k}": v for k, v in by_optimizer.items()}},
       values={"by loss": by_loss, "by optimizer": by_optimizer})
