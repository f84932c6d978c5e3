"""The Optimizer API around the update rules: state_dict round trips (own and torch's),
load errors, hyper-parameter errors, param-group checks, zero_grad, closures."""
import copy
import re

import numpy as np
import pytest

import minicnn as mc
from optim_helpers import (assert_params_equal, gradient_sequence, initial_arrays, set_grads,
                           torch, torch_state_dict_as_numpy, twin_params)

ROUND_TRIP_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.05, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9)),
    ("RMSprop", dict(lr=0.01)),
]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(ROUND_TRIP_CASES)]


def _groups(params):
    return [{"params": [params[0], params[2]]}, {"params": [params[1]], "lr": 0.02}]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,kwargs", ROUND_TRIP_CASES, ids=IDS)
def test_state_dict_round_trip_equals_uninterrupted_run(name, kwargs, dtype):
    """Save after 5 steps, load into a fresh optimizer (built with a different lr, which
    the loaded groups must override) on fresh parameters, continue 5 steps: the result
    equals 10 uninterrupted steps, bit for bit."""
    grads = gradient_sequence(dtype)
    cls = getattr(mc.optim, name)
    full = [mc.tensor(a, requires_grad=True) for a in initial_arrays(dtype)]
    opt_full = cls(_groups(full), **kwargs)
    half = [mc.tensor(a, requires_grad=True) for a in initial_arrays(dtype)]
    opt_half = cls(_groups(half), **kwargs)
    for k in range(10):
        for p, g in zip(full, grads[k]):
            p.grad = mc.tensor(g)
        opt_full.step()
        if k < 5:
            for p, g in zip(half, grads[k]):
                p.grad = mc.tensor(g)
            opt_half.step()

    saved = copy.deepcopy(opt_half.state_dict())
    resumed = [mc.tensor(p._data.copy(), requires_grad=True) for p in half]
    opt = cls(_groups(resumed), **dict(kwargs, lr=123.0))
    opt.load_state_dict(saved)
    assert [g["lr"] for g in opt.param_groups] == [kwargs["lr"], 0.02]
    assert opt.param_groups[1]["params"][0] is resumed[1]
    for k in range(5, 10):
        for p, g in zip(resumed, grads[k]):
            p.grad = mc.tensor(g)
        opt.step()
    for p, q in zip(resumed, full):
        np.testing.assert_array_equal(p._data, q._data)
        assert p.dtype == np.dtype(dtype)
    # the loaded state is a copy: stepping did not write into the saved dict
    for (i, s), (_, s0) in zip(opt.state_dict()["state"].items(),
                               opt_half.state_dict()["state"].items()):
        for key in s:
            if isinstance(s[key], mc.Tensor):
                assert s[key] is not saved["state"][i][key]
                np.testing.assert_array_equal(saved["state"][i][key].data, s0[key]._data)


@pytest.mark.parametrize("name,kwargs", ROUND_TRIP_CASES, ids=IDS)
def test_state_dict_layout_is_torchs(name, kwargs):
    ours, theirs = twin_params(initial_arrays(np.float64))
    opt = getattr(mc.optim, name)(_groups(ours), **kwargs)
    topt = getattr(torch.optim, name)(_groups(theirs), **kwargs)
    for gs in gradient_sequence(np.float64, steps=3):
        set_grads(ours, theirs, gs)
        opt.step()
        topt.step()
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert [g["params"] for g in sd["param_groups"]] == \
        [g["params"] for g in tsd["param_groups"]]
    assert set(sd["state"]) == set(tsd["state"])
    for i in sd["state"]:
        assert set(sd["state"][i]) == set(tsd["state"][i])
        for key, value in sd["state"][i].items():
            assert isinstance(value, (mc.Tensor, int))
    for g, tg in zip(sd["param_groups"], tsd["param_groups"]):
        for key, value in g.items():  # every hyper-parameter we keep, torch keeps too
            assert key in tg and tg[key] == value, key


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,kwargs", ROUND_TRIP_CASES, ids=IDS)
def test_loads_a_torch_state_dict(name, kwargs, dtype):
    """A torch optimizer's state_dict (tensors converted to NumPy) loads, and training
    continues exactly like the torch optimizer."""
    ours, theirs = twin_params(initial_arrays(dtype))
    topt = getattr(torch.optim, name)(_groups(theirs), **kwargs)
    grads = gradient_sequence(dtype)
    for gs in grads[:5]:
        set_grads(ours, theirs, gs)
        topt.step()
    for p, q in zip(ours, theirs):
        p._data[...] = q.detach().numpy()
    opt = getattr(mc.optim, name)(_groups(ours), **kwargs)
    opt.load_state_dict(torch_state_dict_as_numpy(topt.state_dict()))
    for s in opt.state.values():
        if "step" in s:
            assert s["step"] == 5 and isinstance(s["step"], int)
    for k, gs in enumerate(grads[5:]):
        set_grads(ours, theirs, gs)
        opt.step()
        topt.step()
        assert_params_equal(ours, theirs, dtype, f"after step {k + 6}")


def test_load_casts_state_to_parameter_dtype():
    p = mc.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = mc.optim.Adam([p])
    sd = {"state": {0: {"step": np.float32(2.0), "exp_avg": np.ones(3),
                        "exp_avg_sq": mc.tensor(np.ones(3))}},
          "param_groups": [{"params": [0], "lr": 0.5}]}
    opt.load_state_dict(sd)
    s = opt.state[p]
    assert s["step"] == 2 and isinstance(s["step"], int)
    assert s["exp_avg"].dtype == np.float32 and s["exp_avg_sq"].dtype == np.float32
    assert opt.param_groups[0]["lr"] == 0.5
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)  # missing keys take the defaults


def _sd_one_group(n_params):
    return {"state": {}, "param_groups": [{"params": list(range(n_params)), "lr": 0.1}]}


LOAD_ERRORS = [
    ({"state": {}}, r"SGD\.load_state_dict: expected a dict with keys 'state' and "
                    r"'param_groups'"),
    ({"state": {}, "param_groups": [{"params": [0, 1]}, {"params": [2]}]},
     r"loaded state dict has 2 parameter group\(s\) but the optimizer has 1"),
    (_sd_one_group(2), r"parameter group 0 of the loaded state dict has 2 parameter\(s\) "
                       r"but the optimizer's group 0 has 3"),
    ({"state": {1: {"momentum_buffer": np.zeros(7)}},
      "param_groups": [{"params": [0, 1, 2], "lr": 0.1}]},
     r"state 'momentum_buffer' of parameter 1 has shape \(7,\) but the parameter has "
     r"shape \(5,\)"),
]


@pytest.mark.parametrize("sd,message", LOAD_ERRORS, ids=["keys", "groups", "params", "shape"])
def test_load_state_dict_errors(sd, message):
    params = [mc.tensor(a, requires_grad=True) for a in initial_arrays(np.float32)]
    opt = mc.optim.SGD(params, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(sd)


def test_adamw_keeps_decoupled_decay_after_loading_an_adam_state():
    p = mc.tensor(np.ones(3), requires_grad=True)
    opt = mc.optim.AdamW([p])
    sd = mc.optim.Adam([mc.tensor(np.ones(3), requires_grad=True)]).state_dict()
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


# ---- hyper-parameter errors --------------------------------------------------------
BAD_HYPERPARAMETERS = [
    ("SGD", dict(lr=-0.1), r"SGD: Invalid learning rate: lr=-0\.1"),
    ("SGD", dict(lr=float("nan")), r"SGD: Invalid learning rate: lr=nan"),
    ("SGD", dict(momentum=-0.5), r"SGD: Invalid momentum value: momentum=-0\.5"),
    ("SGD", dict(weight_decay=-1e-4), r"SGD: Invalid weight_decay value: weight_decay="),
    ("SGD", dict(nesterov=True), r"SGD: Nesterov momentum requires a momentum and zero "
                                 r"dampening \(got nesterov=True, momentum=0, dampening=0\)"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1),
     r"SGD: Nesterov momentum requires .* dampening=0\.1"),
    ("Adam", dict(lr=-1), r"Adam: Invalid learning rate: lr=-1"),
    ("Adam", dict(eps=-1e-8), r"Adam: Invalid epsilon value: eps=-1e-08"),
    ("Adam", dict(betas=(1.0, 0.999)), r"Adam: Invalid beta parameter at index 0: "
                                       r"betas\[0\]=1\.0 \(expected 0 <= betas\[0\] < 1\)"),
    ("Adam", dict(betas=(0.9, -0.1)), r"Adam: Invalid beta parameter at index 1: "
                                      r"betas\[1\]=-0\.1"),
    ("Adam", dict(betas=(0.9,)), r"Adam: betas should be a pair"),
    ("Adam", dict(weight_decay=-0.1), r"Adam: Invalid weight_decay value"),
    ("AdamW", dict(betas=(0.9, 1.5)), r"AdamW: Invalid beta parameter at index 1"),
    ("AdamW", dict(lr=-0.001), r"AdamW: Invalid learning rate"),
    ("RMSprop", dict(lr=-0.01), r"RMSprop: Invalid learning rate: lr=-0\.01"),
    ("RMSprop", dict(alpha=-0.5), r"RMSprop: Invalid alpha value: alpha=-0\.5"),
    ("RMSprop", dict(eps=-1.0), r"RMSprop: Invalid epsilon value"),
    ("RMSprop", dict(momentum=-0.9), r"RMSprop: Invalid momentum value"),
    ("RMSprop", dict(weight_decay=-0.9), r"RMSprop: Invalid weight_decay value"),
]


@pytest.mark.parametrize("name,kwargs,message", BAD_HYPERPARAMETERS,
                         ids=[f"{n}-{'-'.join(k)}-{i}"
                              for i, (n, k, _) in enumerate(BAD_HYPERPARAMETERS)])
def test_bad_hyperparameters(name, kwargs, message):
    p = mc.tensor(np.ones(3, np.float32), requires_grad=True)
    with pytest.raises(ValueError, match=message):
        getattr(mc.optim, name)([p], **kwargs)
    # torch rejects the same values (it names the argument but not the optimizer); we also
    # reject NaN and a betas of the wrong length, which torch lets through
    q = torch.ones(3, requires_grad=True)
    if kwargs.get("betas") != (0.9,) and not any(v != v for v in kwargs.values()
                                                  if isinstance(v, float)):
        with pytest.raises(ValueError):
            getattr(torch.optim, name)([q], **kwargs)


def test_bad_hyperparameter_in_a_group():
    a, b = (mc.tensor(np.ones(3), requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match=r"SGD: Invalid learning rate: lr=-1"):
        mc.optim.SGD([{"params": [a]}, {"params": [b], "lr": -1}], lr=0.1)
    opt = mc.optim.Adam([a])
    with pytest.raises(ValueError, match=r"Adam: Invalid beta parameter at index 0"):
        opt.add_param_group({"params": [b], "betas": (2.0, 0.9)})
    assert len(opt.param_groups) == 1


# ---- params and groups ----------------------------------------------------------------
def test_params_errors():
    p = mc.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"SGD: params should be an iterable of Tensors or "
                                        r"dicts, but got minicnn.Tensor of shape \(3,\)"):
        mc.optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match=r"Adam: optimizer got an empty parameter list"):
        mc.optim.Adam([])
    with pytest.raises(TypeError, match=r"ordered collections"):
        mc.optim.SGD({p}, lr=0.1)
    with pytest.raises(TypeError, match=r"optimizer can only optimize Tensors, but parameter "
                                        r"1 of the group is ndarray"):
        mc.optim.SGD([p, np.ones(3)], lr=0.1)
    with pytest.raises(ValueError, match=r"can't optimize a non-leaf Tensor"):
        mc.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match=r"floating-point tensors, but parameter 0 of the "
                                        r"group has dtype int64"):
        mc.optim.SGD([mc.tensor([1, 2])], lr=0.1)
    with pytest.raises(TypeError, match=r"real floating-point tensors, but parameter 0 of "
                                        r"the group has dtype complex128"):
        mc.optim.Adam([mc.Tensor._make(np.ones(2, np.complex128))])
    q = mc.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"some parameters appear in more than one "
                                         r"parameter group"):
        mc.optim.SGD([{"params": [p, q]}, {"params": [q]}], lr=0.1)
    with pytest.warns(UserWarning, match=r"duplicate parameters"):
        mc.optim.SGD([p, p], lr=0.1)
    with pytest.raises(TypeError, match=r"param_group must be a dict"):
        mc.optim.SGD([p], lr=0.1).add_param_group([q])


def test_named_parameters_and_group_defaults():
    a = mc.tensor(np.ones(3), requires_grad=True)
    b = mc.tensor(np.ones(2), requires_grad=True)
    opt = mc.optim.SGD([("w", a), ("b", b)], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert all(x is y for x, y in zip(opt.param_groups[0]["params"], [a, b]))
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    opt2 = mc.optim.Adam([{"params": a}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert opt2.param_groups[0]["params"][0] is a
    assert [g["lr"] for g in opt2.param_groups] == [0.1, 0.5]
    assert opt2.param_groups[1]["betas"] == (0.9, 0.999)
    assert opt2.defaults["lr"] == 0.1


def test_grad_shape_mismatch_is_an_error():
    p = mc.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    opt = mc.optim.SGD([p], lr=0.1)
    p.grad = mc.tensor(np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"SGD.step: a parameter of shape \(2, 3\) has a "
                                         r"gradient of shape \(3,\)"):
        opt.step()


def test_zero_grad():
    a = mc.tensor(np.ones(3), requires_grad=True)
    b = mc.tensor(np.ones(2), requires_grad=True)
    opt = mc.optim.SGD([a, b], lr=0.1)
    (a * a).sum().backward()
    grad = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is grad and not np.any(grad._data) and b.grad is None
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_closure_runs_with_grad_enabled_and_its_loss_is_returned():
    a = mc.tensor(np.ones(3), requires_grad=True)
    opt = mc.optim.SGD([a], lr=0.1)
    seen = []

    def closure():
        seen.append(mc.is_grad_enabled())
        loss = (a * a).sum()
        loss.backward()
        return loss

    with mc.no_grad():
        loss = opt.step(closure)
    assert seen == [True] and float(loss) == 3.0
    np.testing.assert_allclose(a._data, np.full(3, 0.8))
    assert opt.step() is None


def test_update_is_not_recorded_and_keeps_the_array():
    a = mc.tensor(np.ones(3, np.float32), requires_grad=True)
    data = a._data
    opt = mc.optim.Adam([a])
    a.grad = mc.tensor(np.ones(3, np.float32))
    opt.step()
    assert a._data is data and a.grad_fn is None and a.is_leaf


def test_repr_lists_groups():
    opt = mc.optim.SGD([mc.tensor(np.ones(3), requires_grad=True)], lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert re.search(r"    momentum: 0\.9\n", text) and "lr: 0.1" in text


def test_signatures_match_torch():
    import inspect
    for name in ("SGD", "Adam", "AdamW", "RMSprop"):
        ours = inspect.signature(getattr(mc.optim, name)).parameters
        theirs = inspect.signature(getattr(torch.optim, name)).parameters
        for arg, param in ours.items():
            assert arg in theirs, (name, arg)
            assert param.default == theirs[arg].default, (name, arg)
