"""Shared helpers for the optimizer tests: twin parameters in minicnn and torch, the same
hand-made gradients fed to both, and tolerances per dtype."""
import numpy as np
import pytest

import minicnn as mc

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (2, 3, 2)]

# float32: a few ulps per step (torch fuses multiply-adds, NumPy rounds twice), grown over
# 10 steps; a wrong formula is off by orders of magnitude more.
TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-11, atol=1e-13)}


def initial_arrays(dtype, seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def gradient_sequence(dtype, steps=10, seed=1, shapes=SHAPES):
    """`steps` lists of gradients, one per shape, with magnitudes varying over steps
    (so that the adaptive optimizers' running averages and max really matter)."""
    rng = np.random.default_rng(seed)
    seq = []
    for _ in range(steps):
        seq.append([(rng.standard_normal(s) * rng.uniform(0.01, 5.0)).astype(dtype)
                    for s in shapes])
    return seq


def twin_params(arrays):
    ours = [mc.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    return ours, theirs


def set_grads(ours, theirs, grads):
    """Give both sides the same gradient; a None gradient leaves the parameter without one."""
    for p, q, g in zip(ours, theirs, grads):
        if g is None:
            p.grad = None
            q.grad = None
        else:
            p.grad = mc.tensor(g.copy())
            q.grad = torch.tensor(g.copy())


def assert_params_equal(ours, theirs, dtype, msg=""):
    for i, (p, q) in enumerate(zip(ours, theirs)):
        assert p.dtype == np.dtype(dtype), f"parameter {i} changed dtype to {p.dtype} {msg}"
        np.testing.assert_allclose(p._data, q.detach().numpy(), **TOLERANCE[dtype],
                                   err_msg=f"parameter {i} {msg}")


def groups_like(spec, params):
    """Param groups for `params` from a spec: a list of (indices, overrides)."""
    if spec is None:
        return list(params)
    return [dict(params=[params[i] for i in idx], **over) for idx, over in spec]


def torch_state_dict_as_numpy(sd):
    """A torch optimizer state_dict with every tensor turned into a NumPy array."""
    def conv(v):
        return v.detach().numpy().copy() if isinstance(v, torch.Tensor) else v
    return {"state": {k: {n: conv(v) for n, v in s.items()} for k, s in sd["state"].items()},
            "param_groups": [dict(g) for g in sd["param_groups"]]}
