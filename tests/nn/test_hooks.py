"""Forward pre-hooks, forward hooks and full backward (pre-)hooks: when they fire, what they
receive (compared with torch's register_full_backward_hook), what they may replace, and
their removal."""
import numpy as np
import pytest
from conftest import random_array

import minicnn as mc
from minicnn import nn

torch = pytest.importorskip("torch")


def test_forward_hooks_fire_in_order_with_inputs_and_output():
    lin = nn.Linear(3, 2)
    calls = []
    lin.register_forward_pre_hook(lambda m, args: calls.append(("pre", m, args[0].shape)))
    lin.register_forward_hook(lambda m, args, out: calls.append(("post", args[0].shape,
                                                                 out.shape)))
    lin.register_forward_pre_hook(lambda m, args: calls.append(("first",)), prepend=True)
    x = mc.randn(4, 3)
    lin(x)
    assert calls == [("first",), ("pre", lin, (4, 3)), ("post", (4, 3), (4, 2))]


def test_hooks_can_replace_inputs_and_outputs():
    lin = nn.Linear(3, 2)
    x = mc.randn(4, 3)
    handle = lin.register_forward_pre_hook(lambda m, args: args[0] * 0)  # single value
    np.testing.assert_allclose(lin(x).detach().numpy(),
                               np.broadcast_to(lin.bias.detach().numpy(), (4, 2)))
    handle.remove()
    handle = lin.register_forward_hook(lambda m, args, out: out * 2)
    np.testing.assert_allclose(lin(x).detach().numpy(),
                               2 * (x.numpy() @ lin.weight.detach().numpy().T
                                    + lin.bias.detach().numpy()), rtol=1e-6)
    handle.remove()


def test_hooks_with_kwargs():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    seen = {}
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}),
                                with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.update(kwargs=kwargs),
                            with_kwargs=True)
    np.testing.assert_allclose(m(mc.ones(2), factor=2.0).numpy(), 3.0)
    assert seen["kwargs"] == {"factor": 3.0}


def test_removed_hooks_do_not_fire_and_handles_work_as_context_managers():
    lin = nn.Linear(2, 2)
    count = []
    h = lin.register_forward_hook(lambda *a: count.append(1))
    lin(mc.randn(1, 2))
    h.remove()
    h.remove()  # twice is harmless
    lin(mc.randn(1, 2))
    assert len(count) == 1
    with lin.register_forward_pre_hook(lambda *a: count.append(2)):
        lin(mc.randn(1, 2))
    lin(mc.randn(1, 2))
    assert count == [1, 2]
    assert not lin._forward_hooks and not lin._forward_pre_hooks


def test_hooks_on_submodules_capture_intermediate_shapes():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(16, 2))
    shapes = {}
    for name, module in net.named_children():
        module.register_forward_hook(
            lambda m, args, out, name=name: shapes.update({name: out.shape}))
    net(mc.randn(2, 3, 6, 6))
    assert shapes == {"0": (2, 4, 4, 4), "1": (2, 4, 4, 4), "2": (2, 4, 2, 2), "3": (2, 16),
                      "4": (2, 2)}


def _record_backward(module, store, lib):
    def hook(m, grad_input, grad_output):
        store["input"] = [None if g is None else np.array(g.detach().numpy() if lib is torch
                                                          else g.numpy())
                          for g in grad_input]
        store["output"] = [None if g is None else np.array(g.detach().numpy() if lib is torch
                                                           else g.numpy())
                           for g in grad_output]
    return module.register_full_backward_hook(hook)


BACKWARD_CASES = [
    ("Linear", (3, 2), [(4, 3)], [True]),
    ("Conv2d", (2, 3, 3), [(2, 2, 5, 5)], [True]),
    ("Conv2d", (2, 3, 3), [(2, 2, 5, 5)], [False]),  # no input requires grad
    ("BatchNorm2d", (2,), [(3, 2, 2, 2)], [True]),
    ("MSELoss", (), [(3, 4), (3, 4)], [True, False]),
    ("MSELoss", (), [(3, 4), (3, 4)], [True, True]),
    ("MultiheadAttention", (4, 2), [(3, 2, 4), (5, 2, 4), (5, 2, 4)], [True, False, True]),
]


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
@pytest.mark.parametrize("name,args,shapes,grads", BACKWARD_CASES,
                         ids=[f"{c[0]}-{''.join('g' if g else '-' for g in c[3])}"
                              for c in BACKWARD_CASES])
def test_full_backward_hook_matches_torch(name, args, shapes, grads):
    ours = getattr(nn, name)(*args).double()
    theirs = getattr(torch.nn, name)(*args).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    got, expected = {}, {}
    _record_backward(ours, got, mc)
    _record_backward(theirs, expected, torch)
    arrays = [random_array(s, seed=i) for i, s in enumerate(shapes)]
    out_mc = ours(*[mc.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)])
    out_t = theirs(*[torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)])
    if isinstance(out_t, tuple):  # MultiheadAttention: (output, weights)
        out_mc, out_t = out_mc[0] * 2 + out_mc[1].sum(), out_t[0] * 2 + out_t[1].sum()
    w = random_array(tuple(out_t.shape), seed=9)
    (out_mc * mc.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    assert set(got) == {"input", "output"}
    for kind in ("input", "output"):
        assert len(got[kind]) == len(expected[kind]), kind
        for i, (g, e) in enumerate(zip(got[kind], expected[kind])):
            if e is None:
                assert g is None, f"grad_{kind}[{i}]"
            else:
                np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12,
                                           err_msg=f"grad_{kind}[{i}]")


def test_backward_hook_reports_only_the_module_not_its_neighbours():
    """grad_output is the gradient w.r.t. this module's output even when more ops follow,
    and grad_input w.r.t. its input even when ops precede it."""
    lin = nn.Linear(3, 3).double()
    got = {}
    _record_backward(lin, got, mc)
    x = mc.tensor(random_array((2, 3)), requires_grad=True)
    h = x * 3
    y = lin(h)
    y.retain_grad()
    h.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_allclose(got["output"][0], y.grad.numpy())
    np.testing.assert_allclose(got["input"][0], h.grad.numpy())


def test_backward_hook_reports_zeros_for_tensor_inputs_without_grad_like_torch():
    loss = nn.MSELoss()
    got = {}
    _record_backward(loss, got, mc)
    loss(mc.randn(3, 2, requires_grad=True), mc.randn(3, 2)).backward()
    assert got["input"][0].shape == (3, 2) and np.any(got["input"][0] != 0)
    np.testing.assert_array_equal(got["input"][1], np.zeros((3, 2)))


def test_backward_hook_can_replace_grad_input():
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    x = mc.randn(4, 3, requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0)
    assert np.any(lin.weight.grad.numpy() != 0)  # parameters are not affected


def test_backward_hook_with_wrong_number_of_grads_is_an_error():
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input"):
        lin(mc.randn(4, 3, requires_grad=True)).sum().backward()


def test_backward_pre_hook_can_replace_grad_output():
    ours = nn.Linear(3, 2).double()
    theirs = torch.nn.Linear(3, 2).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.register_full_backward_pre_hook(lambda m, go: (go[0] * 5,))
    theirs.register_full_backward_pre_hook(lambda m, go: (go[0] * 5,))
    x = random_array((4, 3))
    xm, xt = mc.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours(xm).sum().backward()
    theirs(xt).sum().backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                               rtol=1e-12)


def test_backward_hook_fires_once_per_call_and_stops_after_remove():
    lin = nn.Linear(2, 2)
    calls = []
    handle = lin.register_full_backward_hook(lambda m, gi, go: calls.append(gi[0].shape))
    x = mc.randn(3, 2, requires_grad=True)
    (lin(x) + lin(x * 2)).sum().backward()  # two calls of a shared module
    assert calls == [(3, 2), (3, 2)]
    handle.remove()
    lin(x).sum().backward()
    assert len(calls) == 2


def test_backward_hook_under_no_grad_is_inert():
    lin = nn.Linear(2, 2)
    calls = []
    lin.register_full_backward_hook(lambda *a: calls.append(1))
    with mc.no_grad():
        y = lin(mc.randn(1, 2, requires_grad=True))
    assert not y.requires_grad and not calls
