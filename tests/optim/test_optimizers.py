"""Each optimizer against torch.optim: same initial parameters, the same 10 hand-made
gradients, parameters equal after every step, over a grid of options and both dtypes."""
import itertools

import numpy as np
import pytest

import minicnn as mc
from optim_helpers import (assert_params_equal, gradient_sequence, groups_like,
                           initial_arrays, set_grads, torch, twin_params)


def _grid(**axes):
    keys = list(axes)
    for values in itertools.product(*(axes[k] for k in keys)):
        yield dict(zip(keys, values))


def _sgd_cases():
    for kw in _grid(momentum=[0, 0.9], dampening=[0, 0.5], nesterov=[False, True],
                    weight_decay=[0, 0.1], maximize=[False, True]):
        if kw["nesterov"] and (kw["momentum"] == 0 or kw["dampening"] != 0):
            continue
        yield "SGD", dict(lr=0.1, **kw)


def _adam_cases():
    for name in ("Adam", "AdamW"):
        for kw in _grid(amsgrad=[False, True], weight_decay=[0, 0.1], maximize=[False, True],
                        betas=[(0.9, 0.999), (0.3, 0.8)]):
            yield name, dict(lr=0.05, **kw)
    yield "Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)
    yield "AdamW", dict(lr=0.05)  # default weight_decay=1e-2
    yield "Adam", dict(lr=0.05, eps=1e-3)


def _rmsprop_cases():
    for kw in _grid(centered=[False, True], momentum=[0, 0.9], weight_decay=[0, 0.1],
                    maximize=[False, True]):
        yield "RMSprop", dict(lr=0.01, **kw)
    yield "RMSprop", dict(lr=0.01, alpha=0.3, centered=True)  # lerp's other branch
    yield "RMSprop", dict(lr=0.01, eps=1e-2, alpha=0.9, momentum=0.5)


def _adadelta_adagrad_cases():
    for kw in _grid(weight_decay=[0, 0.1], maximize=[False, True]):
        yield "Adadelta", dict(lr=0.5, **kw)
        yield "Adagrad", dict(lr=0.05, **kw)
    yield "Adadelta", dict(rho=0.5, eps=1e-3)
    yield "Adagrad", dict(lr=0.05, lr_decay=0.1, initial_accumulator_value=0.3, eps=1e-3)


def _nadam_radam_cases():
    for name in ("NAdam", "RAdam"):
        for kw in _grid(weight_decay=[0, 0.1], decoupled_weight_decay=[False, True],
                        maximize=[False, True]):
            yield name, dict(lr=0.05, **kw)
        yield name, dict(lr=0.05, betas=(0.3, 0.8), eps=1e-3)  # RAdam: rectified from step 1
    yield "NAdam", dict(lr=0.05, momentum_decay=0.1)


CASES = (list(_sgd_cases()) + list(_adam_cases()) + list(_rmsprop_cases())
         + list(_adadelta_adagrad_cases()) + list(_nadam_radam_cases()))


def _case_id(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items() if k != "lr")


def run_parity(name, kwargs, dtype, spec=None, grads=None, steps=10, check_every_step=True):
    arrays = initial_arrays(dtype)
    ours, theirs = twin_params(arrays)
    opt = getattr(mc.optim, name)(groups_like(spec, ours), **kwargs)
    topt = getattr(torch.optim, name)(groups_like(spec, theirs), **kwargs)
    grads = gradient_sequence(dtype, steps) if grads is None else grads
    for k, gs in enumerate(grads):
        set_grads(ours, theirs, gs)
        opt.step()
        topt.step()
        if check_every_step:
            assert_params_equal(ours, theirs, dtype, f"after step {k + 1}")
    return opt, topt, ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_matches_torch(case, dtype):
    name, kwargs = case
    run_parity(name, kwargs, dtype)


# Groups with different lr (and other overrides) per group.
GROUP_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9),
     [([0, 2], {}), ([1], dict(lr=0.01, nesterov=True))]),
    ("SGD", dict(lr=0.1),
     [([0], dict(lr=0.3, weight_decay=0.1)), ([1, 2], dict(momentum=0.5, dampening=0.2))]),
    ("Adam", dict(lr=0.05),
     [([0], {}), ([1], dict(lr=0.2, amsgrad=True)), ([2], dict(betas=(0.5, 0.9)))]),
    ("AdamW", dict(lr=0.05, weight_decay=0.1),
     [([1, 0], dict(lr=0.01)), ([2], dict(weight_decay=0.5))]),
    ("RMSprop", dict(lr=0.01),
     [([2], dict(lr=0.05, centered=True)), ([0, 1], dict(momentum=0.9, alpha=0.9))]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,kwargs,spec", GROUP_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(GROUP_CASES)])
def test_param_groups_match_torch(name, kwargs, spec, dtype):
    opt, topt, _, _ = run_parity(name, kwargs, dtype, spec=spec)
    assert len(opt.param_groups) == len(spec)
    for g, tg in zip(opt.param_groups, topt.param_groups):
        assert g["lr"] == tg["lr"]


NONE_GRAD_CASES = [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.05)),
                   ("AdamW", dict(lr=0.05, amsgrad=True)),
                   ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
                   ("Adadelta", dict(lr=0.5)), ("NAdam", dict(lr=0.05)),
                   ("RAdam", dict(lr=0.05))]


@pytest.mark.parametrize("name,kwargs", NONE_GRAD_CASES, ids=[c[0] for c in NONE_GRAD_CASES])
def test_none_grad_parameters_are_skipped(name, kwargs):
    """Parameter 1 gets a gradient only on even steps (its state must not advance on the
    others), parameter 2 never: it stays bit-identical and gets no state."""
    dtype = np.float32
    grads = gradient_sequence(dtype)
    for k, gs in enumerate(grads):
        gs[2] = None
        if k % 2:
            gs[1] = None
    before = initial_arrays(dtype)[2]
    opt, topt, ours, theirs = run_parity(name, kwargs, dtype, grads=grads)
    np.testing.assert_array_equal(ours[2]._data, before)
    assert ours[2] not in opt.state or not opt.state[ours[2]]
    if "step" in opt.state[ours[1]]:
        assert opt.state[ours[1]]["step"] == 5
        assert opt.state[ours[0]]["step"] == 10


@pytest.mark.parametrize("name,kwargs", NONE_GRAD_CASES, ids=[c[0] for c in NONE_GRAD_CASES])
def test_add_param_group_midway_matches_torch(name, kwargs):
    dtype = np.float64
    arrays = initial_arrays(dtype)
    ours, theirs = twin_params(arrays)
    opt = getattr(mc.optim, name)(ours[:2], **kwargs)
    topt = getattr(torch.optim, name)(theirs[:2], **kwargs)
    for k, gs in enumerate(gradient_sequence(dtype)):
        if k == 3:
            opt.add_param_group({"params": ours[2], "lr": 0.02})
            topt.add_param_group({"params": theirs[2], "lr": 0.02})
        set_grads(ours, theirs, gs)
        opt.step()
        topt.step()
        assert_params_equal(ours, theirs, dtype, f"after step {k + 1}")
    assert opt.param_groups[1]["lr"] == 0.02
    assert opt.param_groups[1]["params"][0] is ours[2]


@pytest.mark.parametrize("name,kwargs", NONE_GRAD_CASES, ids=[c[0] for c in NONE_GRAD_CASES])
def test_float32_stays_float32_with_numpy_float64_hyperparameters(name, kwargs):
    """lr given as np.float64 must not upcast the float32 update (NumPy 2 promotes
    float32 arrays with float64 scalars)."""
    kwargs = {k: (np.float64(v) if isinstance(v, float) else v) for k, v in kwargs.items()}
    opt, _, ours, _ = run_parity(name, kwargs, np.float32)
    for p in ours:
        assert p._data.dtype == np.float32
    for s in opt.state.values():
        for v in s.values():
            if isinstance(v, mc.Tensor):
                assert v.dtype == np.float32


def test_state_layout_matches_torch():
    """State keys per parameter are torch's."""
    for name, kwargs in [("SGD", dict(lr=0.1, momentum=0.9)), ("SGD", dict(lr=0.1)),
                         ("Adam", dict(amsgrad=True)), ("AdamW", {}),
                         ("RMSprop", dict(centered=True, momentum=0.9)), ("RMSprop", {}),
                         ("Adadelta", {}), ("Adagrad", {}), ("NAdam", {}), ("RAdam", {})]:
        opt, topt, ours, theirs = run_parity(name, kwargs, np.float64, steps=2,
                                             check_every_step=False)
        for p, q in zip(ours, theirs):
            assert set(opt.state[p]) == set(topt.state[q]), (name, kwargs)
            for key, value in topt.state[q].items():
                if key == "step":
                    assert opt.state[p]["step"] == int(value.item()) == 2
                else:
                    np.testing.assert_allclose(np.asarray(opt.state[p][key]), value.numpy(),
                                               rtol=1e-12, atol=1e-15)


def test_adagrad_makes_its_state_when_built_as_pytorch():
    arrays = initial_arrays(np.float64)
    ours, theirs = twin_params(arrays)
    opt = mc.optim.Adagrad(ours, initial_accumulator_value=0.5)
    topt = torch.optim.Adagrad(theirs, initial_accumulator_value=0.5)
    for p, q in zip(ours, theirs):
        assert set(opt.state[p]) == set(topt.state[q]) == {"step", "sum"}
        np.testing.assert_array_equal(opt.state[p]["sum"].numpy(), topt.state[q]["sum"].numpy())


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adadelta", "Adagrad",
                                  "NAdam", "RAdam"])
def test_minimizes_a_quadratic_with_autograd(name):
    """End to end with real backward(): ||x − t||² goes down by orders of magnitude."""
    target = mc.tensor(np.linspace(-1, 1, 6).astype(np.float32))
    x = mc.zeros(6, requires_grad=True)
    lr = {"SGD": 0.1, "Adam": 0.1, "AdamW": 0.1, "RMSprop": 0.01, "Adadelta": 10.0,
          "Adagrad": 0.5, "NAdam": 0.1, "RAdam": 0.1}[name]
    opt = getattr(mc.optim, name)([x], lr=lr)

    def closure():
        opt.zero_grad()
        loss = ((x - target) * (x - target)).sum()
        loss.backward()
        return loss

    first = float(opt.step(closure))
    for _ in range(200):
        last = float(opt.step(closure))
    assert last < first * 1e-2, (first, last)
    assert x.grad_fn is None and x.requires_grad


def test_maximize_goes_uphill():
    x = mc.tensor(np.zeros(3, np.float32), requires_grad=True)
    opt = mc.optim.SGD([x], lr=0.5, maximize=True)
    x.grad = mc.tensor(np.ones(3, np.float32))
    opt.step()
    np.testing.assert_array_equal(x._data, np.full(3, 0.5, np.float32))


@pytest.mark.gpu
@pytest.mark.parametrize("case", [c for c in CASES if c[1].get("maximize") is False][::3],
                         ids=lambda c: _case_id(c) if isinstance(c, tuple) else None)
def test_cuda_matches_cpu(case):
    """On CuPy arrays the update is the same as on NumPy arrays."""
    name, kwargs = case
    dtype = np.float32
    arrays = initial_arrays(dtype)
    cpu = [mc.tensor(a.copy(), requires_grad=True) for a in arrays]
    gpu = [mc.tensor(a.copy(), device="cuda", requires_grad=True) for a in arrays]
    opt_c = getattr(mc.optim, name)(cpu, **kwargs)
    opt_g = getattr(mc.optim, name)(gpu, **kwargs)
    for gs in gradient_sequence(dtype):
        for p, q, g in zip(cpu, gpu, gs):
            p.grad = mc.tensor(g.copy())
            q.grad = mc.tensor(g.copy(), device="cuda")
        opt_c.step()
        opt_g.step()
    for p, q in zip(cpu, gpu):
        assert q.is_cuda and q.dtype == np.float32
        np.testing.assert_allclose(q.cpu()._data, p._data, rtol=1e-5, atol=1e-6)
    for s in opt_g.state.values():
        for v in s.values():
            if isinstance(v, mc.Tensor):
                assert v.is_cuda

