"""The device-agnostic boilerplate of training scripts: picking a device (CUDA, MPS,
accelerator), seeding every generator, cuDNN's flags, DataParallel around the model,
non_blocking moves, grad-mode switches, and inference on the CPU afterwards."""
import random

import numpy as np
import torch
import torch.backends.cudnn as cudnn
import torch.nn as nn

from _shared import report, shape, share_initial_weights


def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


set_seed(42)
cudnn.benchmark = True
torch.backends.cudnn.deterministic = True
if torch.cuda.is_available():
    device = torch.device("cuda")
elif torch.backends.mps.is_available():
    device = torch.device("mps")
else:
    device = torch.device("cpu")
accelerator = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else None

model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
share_initial_weights(torch, model)
if torch.cuda.device_count() > 1:
    print("Let's use", torch.cuda.device_count(), "GPUs!")
wrapped = nn.DataParallel(model)
wrapped.to(device)
optimizer = torch.optim.SGD(wrapped.parameters(), lr=0.1)
rng = np.random.default_rng(0)
x = torch.from_numpy(rng.standard_normal((32, 4)).astype(np.float32))
y = torch.from_numpy(rng.integers(0, 2, 32))
losses = []
for step in range(5):
    inputs, targets = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
    with torch.set_grad_enabled(True):
        loss = nn.functional.cross_entropy(wrapped(inputs), targets)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

with torch.inference_mode():
    scores = wrapped(x.to(device)).softmax(dim=1).cpu().numpy()
with torch.no_grad():
    with torch.enable_grad():
        reenabled = wrapped(x.to(device)).requires_grad
report(shapes={"scores": list(scores.shape), "first weight": shape(model[0].weight)},
       losses={"train": losses},
       values={"train": losses, "scores": scores[:4].tolist(),
               "keys": sorted(wrapped.state_dict())},
       checks={"device is the cpu here or a gpu": device.type in ("cpu", "cuda"),
               "accelerator matches": accelerator is None or accelerator.type == device.type,
               "parameters on the device": next(wrapped.parameters()).device.type == device.type,
               "inputs on the device": x.to(device).is_cuda == (device.type == "cuda"),
               "not xpu": not x.is_xpu, "grad re-enabled": reenabled,
               "default dtype": torch.get_default_dtype() == torch.float32})
