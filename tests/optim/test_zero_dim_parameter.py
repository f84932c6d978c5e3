"""Every optimizer steps a 0-d parameter (CLIP's logit_scale) as torch.optim does."""
import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"momentum": 0.9}), ("Adam", {}), ("Adam", {"amsgrad": True}),
    ("AdamW", {"weight_decay": 0.1}), ("RMSprop", {}), ("RMSprop", {"centered": True}),
    ("RMSprop", {"momentum": 0.9, "centered": True})])
def test_zero_dim_parameter_steps_like_torch(name, kwargs):
    p = nn.Parameter(mc.tensor(np.float32(1.5)))
    q = torch.nn.Parameter(torch.tensor(1.5))
    ours = getattr(optim, name)([p], lr=0.1, **kwargs)
    theirs = getattr(torch.optim, name)([q], lr=0.1, **kwargs)
    for _ in range(3):
        for param, opt in ((p, ours), (q, theirs)):
            opt.zero_grad()
            (param * param * 3).backward()
            opt.step()
    assert p.shape == () and np.isclose(p.item(), q.item(), rtol=1e-6)
