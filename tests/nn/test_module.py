"""Module mechanics: registration, traversal, train/eval, to(), zero_grad, state_dict and
load_state_dict (strict and not), containers, Parameter, copying and pickling."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
from conftest import random_array

import minicnn as mc
from minicnn import nn

torch = pytest.importorskip("torch")


class PicklableNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 2, 3), nn.BatchNorm2d(2), nn.ReLU())
        self.head = nn.Linear(2, 3)

    def forward(self, x):
        return self.head(self.body(x).mean(dim=(2, 3)))


def build_net(lib_nn):
    base = nn.Module if lib_nn is nn else torch.nn.Module

    class Model(base):
        def __init__(self):
            super().__init__()
            self.features = lib_nn.Sequential(
                lib_nn.Conv2d(3, 4, 3, padding=1), lib_nn.BatchNorm2d(4), lib_nn.ReLU(),
                lib_nn.MaxPool2d(2))
            self.classifier = lib_nn.Sequential(lib_nn.Flatten(), lib_nn.Dropout(0.5),
                                                lib_nn.Linear(4 * 3 * 3, 5))

        def forward(self, x):
            return self.classifier(self.features(x))

    return Model()


def torch_state_as_numpy(module):
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


# ---------------------------------------------------------------- registration

def test_attributes_register_parameters_modules_and_buffers():
    m = nn.Module()
    m.w = nn.Parameter(mc.ones(2))
    m.sub = nn.Linear(2, 3)
    m.register_buffer("stat", mc.zeros(3))
    m.plain = mc.zeros(1)  # a plain tensor attribute is neither
    assert list(m._parameters) == ["w"]
    assert list(m._modules) == ["sub"]
    assert list(m._buffers) == ["stat"]
    assert m.w is m._parameters["w"] and m.sub is m._modules["sub"]
    assert m.stat is m._buffers["stat"]
    assert list(m.state_dict()) == ["w", "stat", "sub.weight", "sub.bias"]
    m.stat = mc.ones(3)  # assigning to a buffer name replaces the buffer
    assert m._buffers["stat"] is m.stat
    m.w = None
    assert m._parameters["w"] is None and "w" not in m.state_dict()
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = mc.ones(2)  # a plain tensor on a parameter name
    with pytest.raises(TypeError, match="cannot assign"):
        m.sub = mc.ones(2)
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'sub'"):
        m.sub


def test_reassigning_a_name_moves_it_between_kinds():
    m = nn.Module()
    m.x = nn.Linear(1, 1)
    m.x = nn.Parameter(mc.ones(1))
    assert "x" not in m._modules and "x" in m._parameters
    with pytest.raises(TypeError, match="cannot assign 'Identity' as parameter 'x'"):
        m.x = nn.Identity()  # as torch: a parameter name takes only a Parameter or None
    m.x = None
    del m.x
    m.x = nn.Identity()
    assert "x" in m._modules and "x" not in m._parameters


@pytest.mark.parametrize("call,error,match", [
    (lambda m: m.register_buffer("a.b", mc.zeros(1)), KeyError, "contain"),
    (lambda m: m.register_buffer("", mc.zeros(1)), KeyError, "empty"),
    (lambda m: m.register_buffer("training", mc.zeros(1)), KeyError, "already exists"),
    (lambda m: m.register_buffer("b", np.zeros(1)), TypeError, "buffer"),
    (lambda m: m.register_parameter("p", mc.zeros(1)), TypeError, "nn.Parameter or None"),
    (lambda m: m.register_parameter(1, None), TypeError, "string"),
    (lambda m: m.add_module("m", 3), TypeError, "not a Module subclass"),
    (lambda m: m.register_parameter("q", nn.Parameter(mc.ones(1)) * 2), TypeError, "Parameter"),
])
def test_registration_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(nn.Module())


def test_assignment_before_init_is_an_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(mc.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_forward_is_required():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(mc.ones(1))


# ---------------------------------------------------------------- traversal

def test_traversal_names_and_orders_match_torch():
    ours, theirs = build_net(nn), build_net(torch.nn)
    for method in ("named_parameters", "named_buffers", "named_modules", "named_children"):
        assert [n for n, _ in getattr(ours, method)()] == \
            [n for n, _ in getattr(theirs, method)()], method
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert len(list(ours.children())) == 2 and len(list(ours.modules())) == 10
    assert [n for n, _ in ours.named_parameters(prefix="net")][0] == "net.features.0.weight"
    assert list(ours.features.parameters(recurse=False)) == []


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(3, 3)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(net.parameters())) == 2
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(net.modules())) == 3  # net, shared, ReLU
    assert len(list(net.named_parameters(remove_duplicate=False))) == 4
    # tied weights between two different modules, as in a language model's embedding/head
    emb, head = nn.Embedding(5, 3), nn.Linear(3, 5, bias=False)
    head.weight = emb.weight
    tied = nn.Sequential(emb, head)
    assert [n for n, _ in tied.named_parameters()] == ["0.weight"]
    assert list(tied.state_dict()) == ["0.weight", "1.weight"]  # state_dict keeps both


def test_apply_visits_children_first_then_self():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]

    def zero_linear(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)

    net.apply(zero_linear)
    assert all(not np.any(m.weight.detach().numpy()) for m in net.modules()
               if isinstance(m, nn.Linear))


def test_get_submodule_parameter_and_buffer():
    net = build_net(nn)
    assert net.get_submodule("features.1") is net.features[1]
    assert net.get_submodule("") is net
    assert net.get_parameter("classifier.2.bias") is net.classifier[2].bias
    assert net.get_buffer("features.1.running_var") is net.features[1].running_var
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("features.nope")
    with pytest.raises(AttributeError, match="not an nn.Module"):
        net.get_submodule("features.0.weight")


# ---------------------------------------------------------------- modes, grads, devices

def test_zero_grad_and_requires_grad():
    lin = nn.Linear(3, 2)
    lin(mc.randn(4, 3)).sum().backward()
    assert lin.weight.grad is not None
    lin.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(lin.weight.grad.numpy(), 0)
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None
    assert lin.requires_grad_(False) is lin
    assert not any(p.requires_grad for p in lin.parameters())
    assert not lin(mc.randn(1, 3)).requires_grad


def test_to_float64_keeps_parameter_identity_and_integer_buffers():
    net = build_net(nn)
    net(mc.randn(2, 3, 6, 6)).sum().backward()
    params = list(net.parameters())
    grads = [p.grad for p in params]
    bn = net.features[1]
    assert net.to(mc.float64) is net
    assert all(a is b for a, b in zip(params, net.parameters()))
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    assert all(p.grad is g for p, g in zip(params, grads))
    assert bn.running_mean.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64
    assert net(mc.randn(2, 3, 6, 6, dtype=mc.float64)).dtype == np.float64
    assert net.float() is net and params[0].dtype == np.float32
    net.to(dtype=mc.float64, device="cpu")
    assert params[0].dtype == np.float64
    net.to(mc.zeros(1, dtype=mc.float32))
    assert params[0].dtype == np.float32
    assert net.cpu() is net
    with pytest.raises(TypeError, match="floating point"):
        net.to(mc.int64)


def test_to_moves_non_persistent_buffers_too():
    m = nn.Module()
    m.register_buffer("tmp", mc.zeros(2), persistent=False)
    m.double()
    assert m.tmp.dtype == np.float64
    assert "tmp" not in m.state_dict()
    assert [n for n, _ in m.named_buffers()] == ["tmp"]


# ---------------------------------------------------------------- state_dict

def test_state_dict_is_ordered_detached_and_shares_memory():
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    assert isinstance(sd, OrderedDict) and list(sd) == ["weight", "bias"]
    assert not sd["weight"].requires_grad
    assert not isinstance(sd["weight"], nn.Parameter)
    assert sd["weight"]._data is lin.weight._data
    kept = lin.state_dict(keep_vars=True)
    assert kept["weight"] is lin.weight
    assert list(lin.state_dict(prefix="fc.")) == ["fc.weight", "fc.bias"]


def test_torch_weights_load_and_give_torchs_outputs():
    ours, theirs = build_net(nn), build_net(torch.nn)
    theirs.train()
    theirs(torch.randn(4, 3, 6, 6))  # non-trivial running statistics
    params_before = list(ours.parameters())
    result = ours.load_state_dict(torch_state_as_numpy(theirs))
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert all(a is b for a, b in zip(params_before, ours.parameters()))
    assert int(ours.features[1].num_batches_tracked.item()) == 1
    ours.eval()
    theirs.eval()
    x = random_array((2, 3, 6, 6), dtype=np.float32)
    np.testing.assert_allclose(ours(mc.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_from_minicnn_tensors_copies_in_place_and_casts():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    weight = b.weight
    b.load_state_dict(a.state_dict())
    assert b.weight is weight
    np.testing.assert_array_equal(b.weight.detach().numpy(), a.weight.detach().numpy())
    assert b.weight._data is not a.weight._data  # copied, not shared
    b.load_state_dict({"weight": np.ones((2, 3)), "bias": np.arange(2.0)})  # float64 arrays
    assert b.weight.dtype == np.float32
    np.testing.assert_array_equal(b.bias.detach().numpy(), [0, 1])


def test_load_state_dict_strict_reports_everything_in_one_error():
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    sd = {k: v.numpy() for k, v in net.state_dict().items()}
    del sd["0.bias"]
    sd["1.running_mean"] = np.zeros(5)
    sd["2.weight"] = np.zeros(1)
    sd["0.extra"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    message = str(info.value)
    assert message.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Missing key(s) in state_dict: "0.bias".' in message
    # torch's order: the root's unexpected keys, then each child's
    assert 'Unexpected key(s) in state_dict: "2.weight", "0.extra".' in message
    assert ("size mismatch for 1.running_mean: copying a param with shape (5,) from "
            "checkpoint, the shape in current model is (2,).") in message
    lines = message.split("\n\t")
    assert len(lines) == 4 and lines[1].startswith("Missing") and lines[2].startswith(
        "Unexpected")


def test_load_state_dict_non_strict_returns_keys_but_still_rejects_shapes():
    net = nn.Sequential(nn.Linear(3, 2))
    result = net.load_state_dict({"0.weight": np.ones((2, 3)), "1.x": np.zeros(1)},
                                 strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["1.x"]
    missing, unexpected = result
    assert missing == ["0.bias"]
    np.testing.assert_array_equal(net[0].weight.detach().numpy(), 1)
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        net.load_state_dict({"0.weight": np.ones((3, 3))}, strict=False)
    assert repr(net.load_state_dict(net.state_dict())) == "<All keys matched successfully>"


def test_load_state_dict_rejects_non_array_values():
    with pytest.raises(RuntimeError, match='While copying the parameter named "bias"'):
        nn.Linear(1, 1).load_state_dict({"weight": np.ones((1, 1)), "bias": "zero"})


def test_batchnorm_loads_a_checkpoint_without_num_batches_tracked():
    bn = nn.BatchNorm2d(2)
    bn.num_batches_tracked._data[...] = 3
    sd = {k: v.numpy() for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    assert bn.load_state_dict(sd).missing_keys == []
    assert int(bn.num_batches_tracked.item()) == 3
    bn.load_state_dict({**sd, "num_batches_tracked": np.array(7)})
    assert int(bn.num_batches_tracked.item()) == 7
    bn.load_state_dict({**sd, "num_batches_tracked": np.array([9])})  # 1-element → 0-d
    assert int(bn.num_batches_tracked.item()) == 9


def test_load_state_dict_assign_replaces_parameters():
    lin = nn.Linear(2, 2)
    old = lin.weight
    lin.load_state_dict({"weight": np.eye(2), "bias": np.zeros(2)}, assign=True)
    assert lin.weight is not old and isinstance(lin.weight, nn.Parameter)
    assert lin.weight.requires_grad


# ---------------------------------------------------------------- containers

def test_sequential_indexing_slicing_and_editing():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh()]
    seq = nn.Sequential(*layers)
    assert len(seq) == 4 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[3]
    part = seq[1:3]
    assert isinstance(part, nn.Sequential) and list(part) == layers[1:3]
    assert list(part._modules) == ["1", "2"]  # keys kept, as torch
    with pytest.raises(IndexError, match="out of range"):
        seq[4]
    seq.append(nn.Identity())
    assert len(seq) == 5 and list(seq._modules)[-1] == "4"
    del seq[1]
    assert list(seq._modules) == ["0", "1", "2", "3"] and seq[1] is layers[2]
    seq[0] = nn.Linear(2, 3)
    assert seq[0] is not layers[0]
    seq.insert(1, nn.ReLU())
    assert isinstance(seq[1], nn.ReLU) and len(seq) == 5
    named = nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 1, 1)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["conv.weight", "conv.bias"]
    assert named.conv is named[0]
    x = mc.randn(5, 2)
    net = nn.Sequential(*layers)
    np.testing.assert_array_equal(net(x).detach().numpy(),
                                  layers[3](layers[2](layers[1](layers[0](x))))
                                  .detach().numpy())


def test_module_list_and_dict():
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    blocks.append(nn.ReLU())
    blocks.extend([nn.Tanh()])
    assert len(blocks) == 5 and isinstance(blocks[-1], nn.Tanh)
    assert isinstance(blocks[1:3], nn.ModuleList) and len(blocks[1:3]) == 2
    assert [n for n, _ in blocks.named_parameters()][:2] == ["0.weight", "0.bias"]
    with pytest.raises(NotImplementedError):
        blocks(mc.ones(1))
    d = nn.ModuleDict({"a": nn.Linear(1, 1)})
    d["b"] = nn.ReLU()
    d.update([("c", nn.Linear(1, 2))])
    assert list(d) == ["a", "b", "c"] and "b" in d and len(d) == 3
    assert list(d.state_dict()) == ["a.weight", "a.bias", "c.weight", "c.bias"]
    assert d.pop("b").__class__ is nn.ReLU and list(d.keys()) == ["a", "c"]


def test_module_list_repr_compresses_repeats_like_torch():
    def build(lib_nn):
        return lib_nn.ModuleList([lib_nn.Linear(2, 2), lib_nn.Linear(2, 2), lib_nn.ReLU(),
                                  lib_nn.Linear(2, 2)])

    assert repr(build(nn)) == repr(build(torch.nn))
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_parameter_list():
    plist = nn.ParameterList([nn.Parameter(mc.ones(2)), mc.zeros(3)])
    assert len(plist) == 2 and isinstance(plist[1], nn.Parameter)
    plist.append(mc.ones(1, 2))
    assert list(plist.state_dict()) == ["0", "1", "2"]
    assert len(list(plist.parameters())) == 3
    holder = nn.Module()
    holder.plist = plist
    assert list(holder.state_dict()) == ["plist.0", "plist.1", "plist.2"]


# ---------------------------------------------------------------- Parameter

def test_parameter_is_a_leaf_tensor_sharing_data():
    t = mc.randn(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, mc.Tensor) and p.requires_grad and p.is_leaf
    assert p._data is t._data
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert "requires_grad=True" in repr(p)
    assert type(p * 2) is mc.Tensor
    assert type(p.detach()) is mc.Tensor
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    with pytest.raises(AttributeError):
        p.anything = 1  # __slots__: no per-instance dict


def test_deepcopy_and_pickle_roundtrip():
    net = PicklableNet()
    net(mc.randn(2, 3, 5, 5))
    net.eval()
    x = mc.randn(1, 3, 6, 6)
    expected = net(x).detach().numpy()
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert clone is not net
        assert all(isinstance(p, nn.Parameter) for p in clone.parameters())
        assert all(a._data is not b._data for a, b in zip(clone.parameters(), net.parameters()))
        assert not clone.training
        np.testing.assert_array_equal(clone(x).detach().numpy(), expected)
        assert list(clone.state_dict()) == list(net.state_dict())


# ---------------------------------------------------------------- GPU

@pytest.mark.gpu
def test_module_on_cuda_matches_cpu():
    mc.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.Flatten(), nn.Linear(4 * 4 * 4, 3)).double()
    state = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    x = random_array((2, 3, 4, 4))
    results = []
    for device in ("cpu", "cuda"):
        params = list(net.parameters())
        net.load_state_dict(state)
        net.to(device)
        assert all(a is b for a, b in zip(params, net.parameters()))
        assert all(p.device == mc.device(device) for p in net.parameters())
        assert net[1].num_batches_tracked.dtype == np.int64
        net.zero_grad()
        y = net(mc.tensor(x, device=device))
        (y * y).sum().backward()
        assert all(p.grad.device == mc.device(device) for p in net.parameters())
        total = nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        assert total.device == mc.device(device)
        sd = net.state_dict()
        # copies: on "cpu" .numpy() shares memory that the next load_state_dict overwrites
        results.append([y.detach().cpu().numpy().copy(), total.cpu().item()]
                       + [p.grad.cpu().numpy().copy() for p in net.parameters()]
                       + [v.cpu().numpy().copy() for v in sd.values()])
        net.cpu()
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.gpu
def test_init_embedding_hooks_and_checkpoint_on_cuda():
    emb = nn.Embedding(10, 4, padding_idx=0).cuda()
    nn.init.trunc_normal_(emb.weight, std=0.02)
    nn.init.kaiming_uniform_(emb.weight)
    assert emb.weight.is_cuda
    lin = nn.Linear(4, 2).cuda()
    seen = {}
    lin.register_full_backward_hook(lambda m, gi, go: seen.update(gi=gi, go=go))
    idx = mc.tensor(np.array([[0, 3], [5, 3]]), device="cuda")
    out = mc.utils.checkpoint(lambda i: lin(emb(i)), idx)
    out.sum().backward()
    assert emb.weight.grad.is_cuda and lin.weight.grad.is_cuda
    np.testing.assert_array_equal(emb.weight.grad.cpu().numpy()[0], 0)
    assert seen["gi"][0].is_cuda and seen["go"][0].shape == (2, 2, 2)


def test_failed_strict_load_leaves_the_module_unchanged():
    model = mc.nn.Sequential(mc.nn.Linear(3, 4), mc.nn.Linear(4, 2))
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    bad = {k: np.full(v.shape, 7.0, np.float32) for k, v in before.items()}
    bad["1.weight"] = np.zeros((5, 5), np.float32)  # wrong shape, after entries that fit
    with pytest.raises(RuntimeError, match="size mismatch for 1.weight"):
        model.load_state_dict(bad)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
