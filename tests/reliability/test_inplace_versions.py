"""Version counters: every in-place write bumps `_version`, aliases (views, detach,
Parameter) share one counter, and backward refuses a node whose saved tensor was
modified in place since, with PyTorch's message. PyTorch (CPU) is the reference for which
scenarios raise and which are allowed."""
import re

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

MODIFIED = "one of the variables needed for gradient computation has been modified by an " \
           "inplace operation"


def _pair(array, requires_grad=False):
    """The same values as a minicnn and a torch tensor."""
    return (mc.tensor(array.copy(), requires_grad=requires_grad),
            torch.tensor(array.copy(), requires_grad=requires_grad))


# ---- _version: every in-place op bumps it once, as PyTorch's ------------------------------
IN_PLACE_OPS = {
    "add_": lambda t: t.add_(1.0),
    "sub_": lambda t: t.sub_(1.0),
    "mul_": lambda t: t.mul_(2.0),
    "div_": lambda t: t.div_(2.0),
    "copy_": lambda t: t.copy_(t * 0 + 3),
    "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(2.0),
    "clamp_": lambda t: t.clamp_(-0.5, 0.5),
    "setitem": lambda t: t.__setitem__(0, 5.0),
    "iadd": lambda t: t.__iadd__(1.0),
    "isub": lambda t: t.__isub__(1.0),
    "imul": lambda t: t.__imul__(2.0),
    "itruediv": lambda t: t.__itruediv__(2.0),
    "relu_": lambda t: t.relu_(),
    "sigmoid_": lambda t: t.sigmoid_(),
    "tanh_": lambda t: t.tanh_(),
}


@pytest.mark.parametrize("op", IN_PLACE_OPS.values(), ids=IN_PLACE_OPS.keys())
def test_every_in_place_op_bumps_the_version_as_torch(op):
    m, t = _pair(np.linspace(-1, 1, 6).astype(np.float32))
    assert m._version == t._version == 0
    op(m)
    op(t)
    op(m)
    op(t)
    assert m._version == t._version == 2


def test_out_of_place_ops_and_data_reads_do_not_bump():
    x = mc.randn(3, 4)
    (x + 1, x.relu(), x.sum(), x.t(), x.reshape(12), x.numpy())
    assert x._version == 0


# ---- aliases share the counter --------------------------------------------------------------
ALIASES = {
    "view": lambda t: t.view(12),
    "reshape": lambda t: t.reshape(2, 6),
    "transpose": lambda t: t.transpose(0, 1),
    "t": lambda t: t.t(),
    "permute": lambda t: t.permute(1, 0),
    "T": lambda t: t.T,
    "flatten": lambda t: t.flatten(),
    "unsqueeze": lambda t: t.unsqueeze(0),
    "squeeze": lambda t: t.unsqueeze(0).squeeze(0),
    "basic index": lambda t: t[1],
    "slice": lambda t: t[:, 1:3],
    "split": lambda t: t.split(1)[2],
    "unbind": lambda t: t.unbind(1)[0],
    "detach": lambda t: t.detach(),
}


@pytest.mark.parametrize("alias", ALIASES.values(), ids=ALIASES.keys())
def test_aliases_share_the_version_counter_as_torch(alias):
    m, t = _pair(np.arange(12, dtype=np.float32).reshape(3, 4))
    mv, tv = alias(m), alias(t)
    m.add_(1.0)
    t.add_(1.0)
    assert mv._version == tv._version == 1
    mv.mul_(2.0)
    tv.mul_(2.0)
    assert m._version == t._version == mv._version == 2
    np.testing.assert_array_equal(m.numpy(), t.numpy())


def test_expand_shares_the_version_counter_as_torch():
    m, t = _pair(np.arange(4, dtype=np.float32).reshape(1, 4))
    mv, tv = m.expand(5, 4), t.expand(5, 4)
    m.add_(1.0)
    t.add_(1.0)
    assert mv._version == tv._version == 1


COPIES = {
    "advanced index": lambda t: t[[0, 2]],
    "bool mask": lambda t: t[t > 3],
    "clone": lambda t: t.clone(),
    "contiguous of a transpose": lambda t: t.t().contiguous(),
    "reshape of a transpose": lambda t: t.t().reshape(12),
    "arithmetic": lambda t: t * 1,
}


@pytest.mark.parametrize("copy", COPIES.values(), ids=COPIES.keys())
def test_copies_have_their_own_counter_as_torch(copy):
    m, t = _pair(np.arange(12, dtype=np.float32).reshape(3, 4))
    mc_copy, torch_copy = copy(m), copy(t)
    m.add_(1.0)
    t.add_(1.0)
    assert mc_copy._version == torch_copy._version == 0


def test_parameter_made_from_a_tensor_shares_its_counter():
    x = mc.randn(2, 3)
    p = mc.nn.Parameter(x)
    x.add_(1.0)
    assert p._version == 1


# ---- backward refuses a modified saved tensor --------------------------------------------
def _backward_error(lib, build, modify):
    """The RuntimeError message of backward after `modify`, or None when it succeeds."""
    out, tensors = build(lib)
    no_grad = mc.no_grad if lib is mc else torch.no_grad
    with no_grad():
        modify(out, tensors)
    try:
        out.sum().backward()
    except RuntimeError as e:
        return str(e)
    return None


def _expect_same_outcome(build, modify, function):
    """minicnn raises PyTorch's error exactly when PyTorch does, naming `function`."""
    want = _backward_error(torch, build, modify)
    got = _backward_error(mc, build, modify)
    if want is None:
        assert got is None
        return
    assert got is not None and got.startswith(MODIFIED), got
    expected_tail = re.search(r"\[torch\.\w+ \[([\d, ]*)\]\](, which is output \d+ of \w+,)? "
                              r"is at version (\d+); expected version (\d+) instead", want)
    shape, _, now, expected = expected_tail.groups()
    assert f"[float32 [{shape}]]" in got
    assert f"is at version {now}; expected version {expected} instead" in got
    assert function in got


RNG = np.random.default_rng(0)
A = RNG.standard_normal(5).astype(np.float32)
B = RNG.standard_normal(5).astype(np.float32)


def _mul(requires):
    def build(lib):
        a = lib.tensor(A.copy(), requires_grad=requires[0])
        b = lib.tensor(B.copy(), requires_grad=requires[1])
        return a * b, (a, b)
    return build


@pytest.mark.parametrize("requires", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("which", [0, 1])
def test_mul_with_a_modified_operand(requires, which):
    """PyTorch keeps each operand only for the other's gradient; minicnn's Mul too."""
    _expect_same_outcome(_mul(requires), lambda out, ts: ts[which].mul_(2.0), "Mul")


def test_mul_error_names_the_function_the_tensor_and_its_versions():
    a, b = mc.randn(2, 3, requires_grad=True), mc.randn(2, 3)
    y = a * b
    b.add_(1.0)
    b.add_(1.0)
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    message = str(info.value)
    assert message.startswith(MODIFIED)
    assert "[float32 [2, 3]] is at version 2; expected version 0 instead" in message
    assert "Mul" in message


def _conv(input_requires_grad):
    def build(lib):
        functional = F if lib is mc else TF
        x = lib.tensor(RNG.standard_normal((1, 2, 6, 6)).astype(np.float32),
                       requires_grad=input_requires_grad)
        w = lib.tensor(RNG.standard_normal((3, 2, 3, 3)).astype(np.float32),
                       requires_grad=True)
        return functional.conv2d(x, w, padding=1), (x, w)
    return build


@pytest.mark.parametrize("input_requires_grad", [False, True])
def test_conv2d_with_its_weight_modified(input_requires_grad):
    _expect_same_outcome(_conv(input_requires_grad), lambda out, ts: ts[1].mul_(2.0), "Conv")


def _activation(name):
    def build(lib):
        a = lib.tensor(A.copy(), requires_grad=True)
        h = a * 1.0
        return getattr(h, name)(), (a, h)
    return build


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "exp"])
def test_activation_output_modified(name):
    """relu, sigmoid, tanh and exp keep their output: modifying it breaks their backward."""
    _expect_same_outcome(_activation(name), lambda out, ts: out.add_(1.0), "output 0 of")


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activation_input_modified_is_allowed(name):
    """They do not keep their input: PyTorch and minicnn let it change."""
    _expect_same_outcome(_activation(name), lambda out, ts: ts[1].add_(1.0), "")


def test_relu_output_modified_names_relu_and_the_versions():
    a = mc.randn(4, requires_grad=True)
    y = F.relu(a * 1.0)
    with mc.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"\[float32 \[4\]\], which is output 0 of ReLU, "
                                           r"is at version 1; expected version 0 instead"):
        y.sum().backward()


def test_add_inputs_may_change_after_forward():
    """Add keeps nothing, so changing its inputs is allowed (as in PyTorch)."""
    a, b = mc.randn(3, requires_grad=True), mc.randn(3)
    y = a + b
    b.add_(1.0)
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.ones(3, np.float32))


# ---- through aliases -----------------------------------------------------------------------
VIEW_WRITES = {
    "view": lambda b: b.view(2, 3).mul_(2.0),
    "transpose": lambda b: b.view(2, 3).t().add_(1.0),
    "index": lambda b: b[1:4].zero_(),
    "setitem on a view": lambda b: b.view(2, 3).__setitem__((0, 0), 7.0),
    "detach": lambda b: b.detach().fill_(1.0),
}


@pytest.mark.parametrize("write", VIEW_WRITES.values(), ids=VIEW_WRITES.keys())
def test_saved_tensor_modified_through_a_view(write):
    def build(lib):
        a = lib.tensor(RNG.standard_normal(6).astype(np.float32), requires_grad=True)
        b = lib.tensor(RNG.standard_normal(6).astype(np.float32))
        return a * b, (a, b)
    _expect_same_outcome(build, lambda out, ts: write(ts[1]), "Mul")


def test_saved_view_modified_through_its_base():
    a = mc.randn(2, 3, requires_grad=True)
    t = mc.randn(2, 3)
    z = a * t.t().t()                            # Mul keeps the view of t
    t.mul_(3.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.sum().backward()


def test_saved_copy_is_free_of_its_source():
    """A reshape that has to copy (of a transpose) gives a new counter: writing to the
    source afterwards does not touch what Mul kept."""
    a = mc.randn(6, requires_grad=True)
    b = mc.randn(2, 3)
    y = a * b.t().reshape(6)
    b[0, 0] = 1.0
    y.sum().backward()


# ---- optimizer steps, nn.init and load_state_dict write parameters in place -------------------
@pytest.mark.parametrize("make", [
    lambda ps: mc.optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: mc.optim.Adam(ps, lr=0.1),
    lambda ps: mc.optim.AdamW(ps, lr=0.1),
    lambda ps: mc.optim.RMSprop(ps, lr=0.1),
], ids=["SGD", "Adam", "AdamW", "RMSprop"])
def test_optimizer_step_between_forward_and_backward(make):
    mc.manual_seed(0)
    model = mc.nn.Sequential(mc.nn.Conv2d(2, 3, 3), mc.nn.ReLU(), mc.nn.Flatten(),
                             mc.nn.Linear(12, 2))
    opt = make(model.parameters())
    x = mc.randn(2, 2, 4, 4)
    model(x).sum().backward()
    loss = model(x).sum()
    versions = [p._version for p in model.parameters()]
    opt.step()
    assert [p._version for p in model.parameters()] == [v + 1 for v in versions]
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_optimizer_step_after_backward_is_fine():
    model = mc.nn.Linear(3, 2)
    assert model.weight._version == torch.nn.Linear(3, 2).weight._version == 1  # its init
    opt = mc.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        model(mc.randn(4, 3)).sum().backward()
        opt.step()
    assert model.weight._version == 4


@pytest.mark.parametrize("init", [
    lambda t: mc.nn.init.normal_(t), lambda t: mc.nn.init.uniform_(t),
    lambda t: mc.nn.init.constant_(t, 0.5), lambda t: mc.nn.init.zeros_(t),
    lambda t: mc.nn.init.eye_(t), lambda t: mc.nn.init.kaiming_uniform_(t),
    lambda t: mc.nn.init.xavier_normal_(t), lambda t: mc.nn.init.trunc_normal_(t),
])
def test_nn_init_bumps_the_version(init):
    w = mc.nn.Parameter(mc.randn(3, 3))
    init(w)
    assert w._version == 1


def test_load_state_dict_between_forward_and_backward():
    layer = mc.nn.Linear(3, 2)
    y = layer(mc.randn(4, 3, requires_grad=True))
    layer.load_state_dict(mc.nn.Linear(3, 2).state_dict())
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


# ---- the check costs nothing on graphs left alone ------------------------------------------
def test_retain_graph_backward_twice_then_modified():
    a = mc.randn(3, requires_grad=True)
    y = a.sigmoid()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    z.backward(retain_graph=True)
    with mc.no_grad():
        y.mul_(0.5)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        z.backward()
