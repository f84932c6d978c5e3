"""Every scheduler against torch.optim.lr_scheduler: the same learning rates (and, for
OneCycleLR, momenta) step by step, bit for bit; state_dict round trips; errors."""
import math
import warnings

import numpy as np
import pytest

import minicnn as mc
from optim_helpers import torch

STEPS = 30


class Warmup:
    """A callable object (its __dict__ is saved by LambdaLR.state_dict)."""

    def __init__(self, n):
        self.n = n

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.n)


def _seq(L, o):
    return L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, total_iters=5),
                              L.CosineAnnealingLR(o, T_max=25, eta_min=1e-4)], milestones=[5])


# name -> (optimizer name and kwargs, scheduler factory taking (lr_scheduler module, optimizer))
SCHEDULERS = {
    "StepLR": ("SGD", {}, lambda L, o: L.StepLR(o, step_size=4, gamma=0.5)),
    "StepLR-default-gamma": ("SGD", {}, lambda L, o: L.StepLR(o, 7)),
    "MultiStepLR": ("SGD", {}, lambda L, o: L.MultiStepLR(o, milestones=[3, 8, 8, 20],
                                                          gamma=0.3)),
    "ExponentialLR": ("Adam", {}, lambda L, o: L.ExponentialLR(o, gamma=0.9)),
    "CosineAnnealingLR": ("SGD", {}, lambda L, o: L.CosineAnnealingLR(o, T_max=10)),
    "CosineAnnealingLR-eta_min-restart": (
        "SGD", {}, lambda L, o: L.CosineAnnealingLR(o, T_max=7, eta_min=0.001)),
    "LambdaLR": ("SGD", {}, lambda L, o: L.LambdaLR(o, lambda e: 0.95 ** e)),
    "LambdaLR-per-group": ("Adam", {}, lambda L, o: L.LambdaLR(
        o, [lambda e: 1 / (1 + e), Warmup(6)])),
    "LinearLR": ("SGD", {}, lambda L, o: L.LinearLR(o)),
    "LinearLR-warmup": ("SGD", {}, lambda L, o: L.LinearLR(o, start_factor=0.01,
                                                           end_factor=1.0, total_iters=10)),
    "LinearLR-decay": ("RMSprop", {}, lambda L, o: L.LinearLR(o, start_factor=1.0,
                                                              end_factor=0.05,
                                                              total_iters=20)),
    "SequentialLR-warmup-cosine": ("SGD", {}, _seq),
    "SequentialLR-three": ("Adam", {}, lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.5, total_iters=3), L.ExponentialLR(o, gamma=0.8),
            L.StepLR(o, step_size=5)], milestones=[4, 12])),
    "OneCycleLR-SGD": ("SGD", dict(momentum=0.9), lambda L, o: L.OneCycleLR(
        o, max_lr=0.5, total_steps=STEPS)),
    "OneCycleLR-SGD-linear-three-phase": ("SGD", dict(momentum=0.9), lambda L, o: L.OneCycleLR(
        o, max_lr=[0.5, 0.2], epochs=3, steps_per_epoch=10, anneal_strategy="linear",
        three_phase=True, pct_start=0.25)),
    "OneCycleLR-Adam": ("Adam", {}, lambda L, o: L.OneCycleLR(
        o, max_lr=0.01, total_steps=STEPS + 5, base_momentum=[0.8, 0.7],
        max_momentum=0.95, div_factor=10.0, final_div_factor=100.0)),
    "OneCycleLR-AdamW-no-momentum": ("AdamW", {}, lambda L, o: L.OneCycleLR(
        o, max_lr=0.01, total_steps=STEPS, cycle_momentum=False)),
}


def _optimizer(module, name, kwargs, params):
    groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.05}]
    return getattr(module, name)(groups, lr=0.1, **kwargs)


def _momenta(opt):
    out = []
    for g in opt.param_groups:
        out.append(g["betas"][0] if "betas" in g else g.get("momentum"))
    return out


def _history(module, L, case, params, steps=STEPS, stepping=None):
    name, kwargs, factory = SCHEDULERS[case]
    opt = _optimizer(module, name, kwargs, params)
    sched = factory(L, opt)
    lrs = [list(sched.get_last_lr())]
    group_lrs = [[g["lr"] for g in opt.param_groups]]
    momenta = [_momenta(opt)]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(list(sched.get_last_lr()))
        group_lrs.append([g["lr"] for g in opt.param_groups])
        momenta.append(_momenta(opt))
    return lrs, group_lrs, momenta, opt, sched


def _mc_params():
    return [mc.tensor(np.ones(3), requires_grad=True), mc.tensor(np.ones(2), requires_grad=True)]


def _torch_params():
    return [torch.ones(3, requires_grad=True), torch.ones(2, requires_grad=True)]


def _run_both(case, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's own deprecation chatter
        theirs = _history(torch.optim, torch.optim.lr_scheduler, case, _torch_params(), **kw)
    ours = _history(mc.optim, mc.optim.lr_scheduler, case, _mc_params(), **kw)
    return ours, theirs


@pytest.mark.parametrize("case", list(SCHEDULERS))
def test_learning_rates_match_torch(case):
    ours, theirs = _run_both(case)
    lrs, group_lrs, momenta = ours[:3]
    assert lrs == theirs[0]  # exact: the same float operations in the same order
    assert group_lrs == theirs[1]
    assert lrs == group_lrs
    assert momenta == theirs[2]
    assert len(set(map(tuple, lrs))) > 2  # the schedule really moves
    if case.startswith("OneCycleLR") and "no-momentum" not in case:
        assert len(set(map(tuple, momenta))) > 2
    assert ours[4].last_epoch == theirs[4].last_epoch


def test_sequential_warmup_then_cosine_values():
    """Spot values, independent of torch: warm-up from 0.1·lr, then cosine from lr."""
    lrs = _run_both("SequentialLR-warmup-cosine")[0][0]
    assert lrs[0][0] == pytest.approx(0.01)
    assert lrs[4][0] == pytest.approx(0.1 * (0.1 + 0.9 * 4 / 5))
    assert lrs[5][0] == pytest.approx(0.1)
    assert lrs[5 + 25][0] == pytest.approx(1e-4)
    assert lrs[5 + 10][1] == pytest.approx(1e-4 + (0.05 - 1e-4)
                                           * (1 + math.cos(math.pi * 10 / 25)) / 2)


def test_onecycle_adam_cycles_beta1_only():
    ours, _ = _run_both("OneCycleLR-Adam")
    opt = ours[3]
    assert opt.param_groups[0]["betas"][1] == 0.999
    momenta = ours[2]
    assert momenta[0] == [0.95, 0.95]
    assert min(m[1] for m in momenta) == pytest.approx(0.7, abs=1e-3)


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(momentum=0.9)), ("Adam", {}),
                                          ("RMSprop", dict(momentum=0.5))])
def test_onecycle_training_matches_torch(name, kwargs):
    """Optimizer and scheduler together: the cycled lr and momentum reach the updates."""
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s) for s in [(4,), (2, 3)]]
    ours = [mc.tensor(a, requires_grad=True) for a in init]
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    opt = getattr(mc.optim, name)(ours, lr=0.1, **kwargs)
    topt = getattr(torch.optim, name)(theirs, lr=0.1, **kwargs)
    sched = mc.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.3, total_steps=20)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.3, total_steps=20)
    for _ in range(20):
        for p, q in zip(ours, theirs):
            g = rng.standard_normal(p.shape)
            p.grad, q.grad = mc.tensor(g), torch.tensor(g)
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p._data, q.detach().numpy(), rtol=1e-11, atol=1e-13)


def test_chained_schedulers_compose_like_torch():
    """Two schedulers stepping the same optimizer multiply (the chainable form)."""
    def run(module, L, params):
        opt = _optimizer(module, "SGD", {}, params)
        a = L.StepLR(opt, step_size=3, gamma=0.5)
        b = L.ExponentialLR(opt, gamma=0.9)
        out = []
        for _ in range(12):
            opt.step()
            a.step()
            b.step()
            out.append([g["lr"] for g in opt.param_groups])
        return out

    assert run(mc.optim, mc.optim.lr_scheduler, _mc_params()) == \
        run(torch.optim, torch.optim.lr_scheduler, _torch_params())


@pytest.mark.parametrize("case", ["StepLR", "MultiStepLR", "ExponentialLR",
                                  "CosineAnnealingLR", "LinearLR-warmup", "LambdaLR"])
def test_step_with_epoch_uses_the_closed_form_like_torch(case):
    def run(module, L, params):
        name, kwargs, factory = SCHEDULERS[case]
        opt = _optimizer(module, name, kwargs, params)
        sched = factory(L, opt)
        out = []
        for epoch in [3, 9, 4, 15]:
            with pytest.warns(UserWarning, match="epoch parameter"):
                opt.step()
                sched.step(epoch)
            out.append(list(sched.get_last_lr()))
        return out

    assert run(mc.optim, mc.optim.lr_scheduler, _mc_params()) == \
        run(torch.optim, torch.optim.lr_scheduler, _torch_params())


# ---- state -------------------------------------------------------------------------------
@pytest.mark.parametrize("case", list(SCHEDULERS))
def test_state_dict_round_trip(case):
    """Save optimizer and scheduler after 12 steps; a fresh pair loads them (scheduler
    built first, then both states loaded) and continues: same lrs as uninterrupted."""
    L = mc.optim.lr_scheduler
    full = _history(mc.optim, L, case, _mc_params())
    head = _history(mc.optim, L, case, _mc_params(), steps=12)
    opt_state, sched_state = head[3].state_dict(), head[4].state_dict()
    assert "optimizer" not in sched_state and sched_state["last_epoch"] == head[4].last_epoch

    name, kwargs, factory = SCHEDULERS[case]
    opt = _optimizer(mc.optim, name, kwargs, _mc_params())
    sched = factory(L, opt)
    opt.load_state_dict(opt_state)
    sched.load_state_dict(sched_state)
    lrs = [list(sched.get_last_lr())]
    momenta = [_momenta(opt)]
    for _ in range(STEPS - 12):
        opt.step()
        sched.step()
        lrs.append(list(sched.get_last_lr()))
        momenta.append(_momenta(opt))
    assert lrs == full[0][12:]
    assert momenta == full[2][12:]
    assert [g["lr"] for g in opt.param_groups] == full[1][-1]


def test_lambda_state_dict_saves_callable_objects_only():
    opt = _optimizer(mc.optim, "SGD", {}, _mc_params())
    warm = Warmup(6)
    sched = mc.optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0, warm])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None, {"n": 6}]
    warm.n = 99
    sched.load_state_dict(sd)
    assert warm.n == 6 and "lr_lambdas" in sd


def test_initial_lr_is_stored_and_resume_needs_it():
    L = mc.optim.lr_scheduler
    opt = _optimizer(mc.optim, "SGD", {}, _mc_params())
    L.StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    fresh = _optimizer(mc.optim, "SGD", {}, _mc_params())
    with pytest.raises(KeyError, match=r"StepLR: param 'initial_lr' is not specified in "
                                       r"param_groups\[0\]"):
        L.StepLR(fresh, step_size=2, last_epoch=4)
    resumed = L.ExponentialLR(opt, gamma=0.5, last_epoch=4)
    assert resumed.last_epoch == 5 and resumed.base_lrs == [0.1, 0.05]


def test_get_lr_outside_step_warns():
    sched = mc.optim.lr_scheduler.StepLR(_optimizer(mc.optim, "SGD", {}, _mc_params()), 2)
    with pytest.warns(UserWarning, match=r"get_last_lr\(\)"):
        sched.get_lr()


# ---- errors ---------------------------------------------------------------------------
def _opt():
    return _optimizer(mc.optim, "SGD", dict(momentum=0.9), _mc_params())


class _NoMomentum(mc.optim.Optimizer):
    def __init__(self, params, lr=0.1):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        return None


SCHEDULER_ERRORS = [
    (lambda L: L.StepLR(object(), 2), TypeError, r"StepLR: object is not an Optimizer"),
    (lambda L: L.LinearLR(_opt(), start_factor=0), ValueError,
     r"LinearLR: start_factor=0; the starting multiplicative factor must be in \(0, 1\]"),
    (lambda L: L.LinearLR(_opt(), end_factor=1.5), ValueError, r"LinearLR: end_factor=1\.5"),
    (lambda L: L.LambdaLR(_opt(), [lambda e: 1.0]), ValueError,
     r"LambdaLR: expected 2 lr_lambdas, but got 1"),
    (lambda L: L.OneCycleLR(_opt(), max_lr=0.1), ValueError,
     r"OneCycleLR: you must define either total_steps OR \(epochs AND steps_per_epoch\)"),
    (lambda L: L.OneCycleLR(_opt(), max_lr=0.1, total_steps=0), ValueError,
     r"expected positive integer total_steps, but got 0"),
    (lambda L: L.OneCycleLR(_opt(), max_lr=0.1, epochs=2, steps_per_epoch=1.5), ValueError,
     r"expected positive integer steps_per_epoch, but got 1\.5"),
    (lambda L: L.OneCycleLR(_opt(), max_lr=0.1, total_steps=10, pct_start=1), ValueError,
     r"expected float between 0 and 1 pct_start, but got 1"),
    (lambda L: L.OneCycleLR(_opt(), max_lr=0.1, total_steps=10, anneal_strategy="exp"),
     ValueError, r"anneal_strategy must be one of 'cos' or 'linear', instead got 'exp'"),
    (lambda L: L.OneCycleLR(_opt(), max_lr=[0.1, 0.2, 0.3], total_steps=10), ValueError,
     r"max_lr must have the same length as optimizer.param_groups. max_lr has 3 values, "
     r"param_groups has 2"),
    (lambda L: L.OneCycleLR(_NoMomentum(_mc_params()), max_lr=0.1, total_steps=10),
     ValueError, r"optimizer must support momentum or beta1 .*_NoMomentum has neither"),
    (lambda L: L.SequentialLR(_opt(), [], []), ValueError,
     r"SequentialLR expects at least one scheduler"),
]


def _sequential_mismatch(L):
    o = _opt()
    return L.SequentialLR(o, [L.StepLR(o, 2), L.StepLR(o, 3)], milestones=[2, 4])


def _sequential_other_optimizer(L):
    o = _opt()
    return L.SequentialLR(o, [L.StepLR(o, 2), L.StepLR(_opt(), 3)], milestones=[2])


SCHEDULER_ERRORS += [
    (_sequential_mismatch, ValueError, r"one more than the number of milestone points, but "
                                       r"got number of schedulers 2 and the number of "
                                       r"milestones to be equal to 2"),
    (_sequential_other_optimizer, ValueError, r"expects all schedulers to belong to the same "
                                              r"optimizer, but got scheduler StepLR at index 1"),
]


@pytest.mark.parametrize("build,exc,message", SCHEDULER_ERRORS,
                         ids=[str(i) for i in range(len(SCHEDULER_ERRORS))])
def test_scheduler_errors(build, exc, message):
    with pytest.raises(exc, match=message):
        build(mc.optim.lr_scheduler)


def test_onecycle_past_total_steps_is_an_error():
    sched = mc.optim.lr_scheduler.OneCycleLR(_opt(), max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match=r"OneCycleLR: tried to step 4 times. The specified "
                                         r"number of total steps is 3"):
        sched.step()
