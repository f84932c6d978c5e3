"""Every nn layer against its torch.nn counterpart: the same constructor arguments, weights
copied from torch through load_state_dict (NumPy arrays), then forward outputs, input
gradients and parameter gradients compared; state_dict keys, shapes and dtypes; repr."""
import numpy as np
import pytest
from conftest import random_array, untied_array

import minicnn as mc

torch = pytest.importorskip("torch")
tnn = torch.nn
pytestmark = pytest.mark.filterwarnings("ignore:size_average and reduce args")


def ints(shape, high, seed=0, low=0):
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(np.int64)


def probs(shape, seed=0):
    p = random_array(shape, seed, low=0.05, high=1.0)
    return p / p.sum(axis=-1, keepdims=True)


def unpool_inputs(seed=0):
    x = torch.tensor(untied_array((2, 3, 6, 5), seed))
    values, indices = torch.nn.functional.max_pool2d(x, 2, return_indices=True)
    return [random_array(tuple(values.shape), seed + 1), indices.numpy()]


class Case:
    """One layer configuration: nn class name, constructor args (NumPy arrays become a
    tensor of each library), inputs (arrays, or a function of the seed returning them),
    which inputs require grad, forward kwargs, and the mode to run in."""

    def __init__(self, name, args=(), kwargs=None, inputs=(), grad=None, forward=None,
                 eval=False, id=None):
        self.name, self.args, self.kwargs = name, args, kwargs or {}
        self.inputs, self.grad, self.forward, self.eval = inputs, grad, forward or {}, eval
        self.id = id or name

    def arrays(self):
        arrays = self.inputs(0) if callable(self.inputs) else [
            random_array(s) if isinstance(s, tuple) else s for s in self.inputs]
        return [a.copy() for a in arrays]

    def build(self, lib, dtype=np.float32):
        def convert(v):
            if isinstance(v, np.ndarray):
                v = v.astype(dtype) if v.dtype.kind == "f" else v
                return torch.tensor(v) if lib is torch else mc.tensor(v)
            return v

        nn = tnn if lib is torch else mc.nn
        cls = getattr(nn, self.name)
        return cls(*[convert(a) for a in self.args],
                   **{k: convert(v) for k, v in self.kwargs.items()})


X = (2, 3, 5, 4)  # a small NCHW input

CASES = [
    Case("Identity", inputs=[(3, 4)]),
    Case("Linear", (4, 3), inputs=[(2, 5, 4)]),
    Case("Linear", (4, 3), {"bias": False}, inputs=[(3, 4)], id="Linear-nobias"),
    Case("Flatten", inputs=[X]),
    Case("Flatten", (0, 2), inputs=[X], id="Flatten-0-2"),
    Case("Unflatten", (1, (2, 3)), inputs=[(2, 6, 4)]),
    Case("Unflatten", (-1, (2, -1)), inputs=[(2, 6, 4)], id="Unflatten-neg"),
    Case("Conv2d", (3, 4, 3), inputs=[(2, 3, 7, 6)]),
    Case("Conv2d", (4, 6, 3), {"stride": 2, "padding": 1, "groups": 2, "bias": False},
         inputs=[(2, 4, 8, 7)], id="Conv2d-groups-stride"),
    Case("Conv2d", (2, 3, 3), {"padding": "same", "dilation": 2}, inputs=[(1, 2, 6, 6)],
         id="Conv2d-same-dilated"),
    Case("Conv2d", (2, 2, (2, 4)), {"padding": "same"}, inputs=[(1, 2, 5, 6)],
         id="Conv2d-same-even"),
    Case("Conv2d", (3, 3, (3, 1)), {"padding": "valid", "groups": 3}, inputs=[(2, 3, 5, 5)],
         id="Conv2d-depthwise"),
    Case("Conv2d", (3, 4, 2), {"padding": (1, 0), "stride": (1, 2)}, inputs=[(3, 5, 5)],
         id="Conv2d-unbatched"),
    Case("ConvTranspose2d", (3, 4, 3), {"stride": 2, "padding": 1, "output_padding": 1},
         inputs=[(2, 3, 4, 4)]),
    Case("ConvTranspose2d", (4, 6, 3), {"groups": 2, "dilation": 2, "bias": False},
         inputs=[(1, 4, 3, 5)], id="ConvTranspose2d-groups-dilation"),
    Case("ConvTranspose2d", (2, 3, 3), {"stride": 2}, inputs=[(1, 2, 4, 4)],
         forward={"output_size": (10, 9)}, id="ConvTranspose2d-output_size"),
    Case("MaxPool2d", (2,), inputs=[untied_array((2, 3, 6, 6))]),
    Case("MaxPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True},
         inputs=[untied_array((2, 3, 6, 7))], id="MaxPool2d-ceil-pad"),
    Case("MaxPool2d", (2,), {"dilation": 2, "return_indices": True},
         inputs=[untied_array((1, 2, 7, 6))], id="MaxPool2d-indices-dilated"),
    Case("MaxUnpool2d", (2,), inputs=unpool_inputs, forward={"output_size": (6, 5)}),
    Case("AvgPool2d", (2,), inputs=[X]),
    Case("AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True,
                            "count_include_pad": False}, inputs=[(2, 3, 6, 7)],
         id="AvgPool2d-ceil-exclude-pad"),
    Case("AdaptiveAvgPool2d", ((3, 2),), inputs=[(2, 3, 7, 5)]),
    Case("AdaptiveAvgPool2d", (1,), inputs=[X], id="AdaptiveAvgPool2d-global"),
    Case("AdaptiveMaxPool2d", ((2, 3),), inputs=[untied_array((2, 3, 7, 5))]),
    Case("AdaptiveMaxPool2d", (3, True), inputs=[untied_array((1, 2, 6, 6))],
         id="AdaptiveMaxPool2d-indices"),
    Case("BatchNorm1d", (3,), inputs=[(5, 3)]),
    Case("BatchNorm1d", (3,), inputs=[(4, 3, 6)], id="BatchNorm1d-NCL"),
    Case("BatchNorm2d", (3,), inputs=[X]),
    Case("BatchNorm2d", (3,), inputs=[X], eval=True, id="BatchNorm2d-eval"),
    Case("BatchNorm2d", (3,), {"affine": False, "momentum": None}, inputs=[X],
         id="BatchNorm2d-noaffine-cma"),
    Case("BatchNorm2d", (3,), {"track_running_stats": False}, inputs=[X], eval=True,
         id="BatchNorm2d-untracked-eval"),
    Case("BatchNorm2d", (3,), {"bias": False, "eps": 1e-3}, inputs=[X], id="BatchNorm2d-nobias"),
    Case("BatchNorm3d", (2,), inputs=[(2, 2, 3, 2, 3)]),
    Case("LayerNorm", (4,), inputs=[(2, 3, 4)]),
    Case("LayerNorm", ((3, 4),), {"elementwise_affine": False}, inputs=[(2, 3, 4)],
         id="LayerNorm-noaffine"),
    Case("LayerNorm", (4,), {"bias": False, "eps": 1e-6}, inputs=[(3, 4)], id="LayerNorm-nobias"),
    Case("GroupNorm", (2, 4), inputs=[(2, 4, 3, 3)]),
    Case("GroupNorm", (3, 6), {"affine": False}, inputs=[(2, 6, 5)], id="GroupNorm-noaffine"),
    Case("LocalResponseNorm", (3,), {"alpha": 1.0, "beta": 0.75, "k": 2.0},
         inputs=[(2, 5, 4, 3)]),
    Case("Dropout", (0.3,), inputs=[X], eval=True),
    Case("Dropout2d", (0.3,), inputs=[X], eval=True),
    Case("ReLU", inputs=[X]),
    Case("ReLU6", inputs=[random_array(X) * 5]),
    Case("Hardtanh", (-0.5, 0.7), inputs=[X]),
    Case("LeakyReLU", (0.2,), inputs=[X]),
    Case("ELU", (0.7,), inputs=[X]),
    Case("Tanh", inputs=[X]),
    Case("Sigmoid", inputs=[X]),
    Case("GELU", inputs=[X]),
    Case("GELU", ("tanh",), inputs=[X], id="GELU-tanh"),
    Case("SiLU", inputs=[X]),
    Case("Softplus", (2.0, 1.0), inputs=[X]),
    Case("Softmax", (1,), inputs=[X]),
    Case("LogSoftmax", (-1,), inputs=[X]),
    Case("Embedding", (10, 4), inputs=[ints((3, 5), 10)]),
    Case("Embedding", (10, 4), {"padding_idx": 2}, inputs=[np.array([[2, 1, 2], [0, 9, 2]])],
         id="Embedding-padding"),
    Case("Embedding", (10, 4), {"padding_idx": -1, "scale_grad_by_freq": True},
         inputs=[np.array([1, 1, 1, 3, 9, 5, 3])], id="Embedding-freq-negpad"),
    Case("Embedding", (10, 4), {"max_norm": 1.5, "norm_type": 1.0},
         inputs=[np.array([[1, 4], [4, 7]])], id="Embedding-max_norm"),
    Case("MultiheadAttention", (8, 2), inputs=[(5, 3, 8), (4, 3, 8), (4, 3, 8)]),
    Case("MultiheadAttention", (8, 4), {"batch_first": True, "bias": False},
         inputs=[(2, 5, 8), (2, 5, 8), (2, 5, 8)],
         forward={"need_weights": False, "attn_mask": np.triu(np.ones((5, 5), bool), 1)},
         id="MultiheadAttention-batch_first-causal"),
    Case("MultiheadAttention", (6, 2), {"add_bias_kv": True, "add_zero_attn": True,
                                        "kdim": 5, "vdim": 3},
         inputs=[(3, 2, 6), (4, 2, 5), (4, 2, 3)],
         forward={"key_padding_mask": np.array([[False] * 4, [False, False, True, True]]),
                  "average_attn_weights": False},
         id="MultiheadAttention-kdim-vdim-bias_kv"),
    Case("CrossEntropyLoss", inputs=[(4, 5), ints((4,), 5)]),
    Case("CrossEntropyLoss", kwargs={"weight": random_array((5,), 1, low=0.5, high=2.0),
                                     "ignore_index": 1, "label_smoothing": 0.1},
         inputs=[(6, 5), ints((6,), 5, seed=3)], id="CrossEntropyLoss-weight-smooth"),
    Case("CrossEntropyLoss", kwargs={"reduction": "none"}, inputs=[(2, 4, 3), ints((2, 3), 4)],
         id="CrossEntropyLoss-spatial-none"),
    Case("NLLLoss", kwargs={"reduction": "sum"}, inputs=[(4, 5), ints((4,), 5)]),
    Case("NLLLoss", kwargs={"size_average": False}, inputs=[(4, 5), ints((4,), 5)],
         id="NLLLoss-legacy"),
    Case("MSELoss", inputs=[(3, 4), (3, 4)], grad=[True, False]),
    Case("L1Loss", kwargs={"reduction": "none"}, inputs=[(3, 4), (3, 4)], grad=[True, True]),
    Case("KLDivLoss", kwargs={"reduction": "batchmean"},
         inputs=[np.log(probs((3, 4))), probs((3, 4), 1)], grad=[True, False]),
    Case("KLDivLoss", kwargs={"log_target": True, "reduction": "sum"},
         inputs=[np.log(probs((3, 4))), np.log(probs((3, 4), 1))], grad=[True, True],
         id="KLDivLoss-log_target"),
    Case("BCEWithLogitsLoss", kwargs={"pos_weight": random_array((4,), 2, low=0.5, high=2.0)},
         inputs=[(3, 4), random_array((3, 4), 1, low=0, high=1)], grad=[True, False]),
    Case("BCELoss", kwargs={"weight": random_array((4,), 3, low=0.5, high=2.0)},
         inputs=[random_array((3, 4), 4, low=0.05, high=0.95),
                 random_array((3, 4), 5, low=0, high=1)], grad=[True, True]),
    Case("SmoothL1Loss", kwargs={"beta": 0.5}, inputs=[(3, 4), (3, 4)], grad=[True, True]),
    Case("SmoothL1Loss", kwargs={"reduction": "sum"}, inputs=[(3, 4), (3, 4)], grad=[True, False],
         id="SmoothL1Loss-sum"),
    Case("HuberLoss", kwargs={"delta": 0.7, "reduction": "none"}, inputs=[(3, 4), (3, 4)],
         grad=[True, True]),
]
IDS = [c.id for c in CASES]


def copy_weights(ours, theirs):
    """torch module's state into ours, as NumPy arrays, through load_state_dict."""
    result = ours.load_state_dict({k: v.detach().cpu().numpy()
                                   for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []


def run_both(case, dtype, steps=1):
    """Build both modules in `dtype`, copy the weights, run `steps` forwards (and one
    backward of a random linear function of the last outputs). Returns everything."""
    ours, theirs = case.build(mc, dtype), case.build(torch, dtype)
    if dtype == np.float64:
        ours.double()
        theirs.double()
    copy_weights(ours, theirs)
    if case.eval:
        ours.eval()
        theirs.eval()
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in case.arrays()]
    grad = case.grad or [a.dtype.kind == "f" for a in arrays]
    fwd_mc = {k: mc.tensor(v) if isinstance(v, np.ndarray) else v for k, v in case.forward.items()}
    fwd_t = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
             for k, v in case.forward.items()}
    for _ in range(steps):
        xs_mc = [mc.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
        xs_t = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grad)]
        out_mc, out_t = ours(*xs_mc, **fwd_mc), theirs(*xs_t, **fwd_t)
    return ours, theirs, xs_mc, xs_t, out_mc, out_t


def flat(out):
    return list(out) if isinstance(out, tuple) else [out]


TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=2e-4, atol=2e-5)}


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_and_gradients_match_torch(case, dtype):
    ours, theirs, xs_mc, xs_t, out_mc, out_t = run_both(case, dtype)
    tol = TOL[dtype]
    outs_mc, outs_t = flat(out_mc), flat(out_t)
    assert len(outs_mc) == len(outs_t)
    rng = np.random.default_rng(1)
    loss_mc, loss_t = 0, 0
    for o, t in zip(outs_mc, outs_t):
        if t is None:
            assert o is None
            continue
        expected = t.detach().numpy()
        assert o.shape == expected.shape
        assert o.dtype == expected.dtype, (o.dtype, expected.dtype)
        np.testing.assert_allclose(o.detach().numpy(), expected, **tol)
        if t.requires_grad:
            assert o.requires_grad
            w = rng.standard_normal(expected.shape).astype(expected.dtype)
            loss_mc = loss_mc + (o * mc.tensor(w)).sum()
            loss_t = loss_t + (t * torch.tensor(w)).sum()
    assert not isinstance(loss_t, int), "every case has a differentiable output"
    loss_mc.backward()
    loss_t.backward()
    for i, (x, t) in enumerate(zip(xs_mc, xs_t)):
        if t.requires_grad:
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), **tol,
                                       err_msg=f"gradient of input {i}")
    params_t = dict(theirs.named_parameters())
    params_mc = dict(ours.named_parameters())
    assert list(params_mc) == list(params_t)
    for name, p in params_mc.items():
        assert p.grad is not None, name
        np.testing.assert_allclose(p.grad.numpy(), params_t[name].grad.numpy(), **tol,
                                   err_msg=f"gradient of {name}")
    # buffers (running statistics) and in-place weight updates (max_norm) agree too
    for (k, v), (k_t, v_t) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert k == k_t
        np.testing.assert_allclose(v.numpy(), v_t.numpy(), **tol, err_msg=k)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_state_dict_keys_shapes_and_dtypes_match_torch(case):
    ours, theirs = case.build(mc), case.build(torch)
    sd_mc, sd_t = ours.state_dict(), theirs.state_dict()
    assert list(sd_mc) == list(sd_t)
    for key, v in sd_mc.items():
        assert tuple(v.shape) == tuple(sd_t[key].shape), key
        assert str(v.dtype) == str(sd_t[key].dtype).replace("torch.", ""), key
        assert not v.requires_grad
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_repr_matches_torch(case):
    assert repr(case.build(mc)) == repr(case.build(torch))


def test_repr_of_a_small_network_matches_torch():
    def net(nn):
        return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 4 * 4, 10),
                             nn.Dropout(0.5))

    expected = (
        "Sequential(\n"
        "  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n"
        "  (2): ReLU()\n"
        "  (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (4): Flatten(start_dim=1, end_dim=-1)\n"
        "  (5): Linear(in_features=128, out_features=10, bias=True)\n"
        "  (6): Dropout(p=0.5, inplace=False)\n"
        ")")
    assert repr(net(tnn)) == expected
    assert repr(net(mc.nn)) == expected


def test_nested_repr_with_containers_matches_torch():
    def net(nn):
        block = nn.Sequential(nn.Conv2d(4, 4, 3, bias=False), nn.GroupNorm(2, 4), nn.GELU())
        return nn.ModuleDict({
            "stem": nn.Conv2d(3, 4, (3, 5), stride=2, padding=(1, 2), dilation=(1, 2),
                              groups=1),
            "blocks": nn.ModuleList([block, nn.Sequential(nn.Conv2d(4, 4, 3, bias=False),
                                                          nn.GroupNorm(2, 4), nn.GELU()),
                                     nn.Identity()]),
            "head": nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                                  nn.LayerNorm(4), nn.Linear(4, 2)),
            "attn": nn.MultiheadAttention(4, 2),
            "emb": nn.Embedding(5, 4, padding_idx=0),
        })

    assert repr(net(mc.nn)) == repr(net(tnn))


# ---------------------------------------------------------------- training statistics

@pytest.mark.parametrize("momentum", [0.1, 0.5, None], ids=["m0.1", "m0.5", "cumulative"])
@pytest.mark.parametrize("name,shape", [("BatchNorm1d", (6, 3)), ("BatchNorm2d", (4, 3, 3, 2))])
def test_batchnorm_running_stats_after_two_steps_match_torch(name, shape, momentum):
    ours = getattr(mc.nn, name)(3, momentum=momentum).double()
    theirs = getattr(tnn, name)(3, momentum=momentum).double()
    for step in range(2):
        x = random_array(shape, seed=step) * (step + 1) + step
        ours(mc.tensor(x))
        theirs(torch.tensor(x))
    sd_mc, sd_t = ours.state_dict(), theirs.state_dict()
    assert int(sd_mc["num_batches_tracked"].item()) == 2
    for key in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(sd_mc[key].numpy(), sd_t[key].numpy(), rtol=1e-12,
                                   err_msg=key)
    assert sd_mc["num_batches_tracked"].dtype == np.int64
    assert sd_mc["num_batches_tracked"].shape == ()
    # evaluation then uses those statistics, as torch does
    x = random_array(shape, seed=7)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(mc.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert int(ours.num_batches_tracked.item()) == 2  # eval does not count


def test_batchnorm_eval_does_not_touch_running_stats_and_train_does():
    bn = mc.nn.BatchNorm2d(2)
    x = mc.tensor(random_array((3, 2, 4, 4)) + 5, dtype="float32")
    bn.eval()
    bn(x)
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)
    assert int(bn.num_batches_tracked.item()) == 0
    bn.train()
    bn(x)
    assert np.all(bn.running_mean.numpy() > 0.3)
    assert int(bn.num_batches_tracked.item()) == 1


def test_batchnorm_input_rank_is_checked():
    with pytest.raises(ValueError, match="expected 4D input"):
        mc.nn.BatchNorm2d(3)(mc.randn(2, 3))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        mc.nn.BatchNorm1d(3)(mc.randn(2, 3, 4, 4))


def test_dropout_in_training_and_eval():
    mc.manual_seed(0)
    drop = mc.nn.Dropout(0.3)
    x = mc.ones(200, 100)
    y = drop(x).numpy()
    zero_fraction = (y == 0).mean()
    assert abs(zero_fraction - 0.3) < 0.02
    np.testing.assert_allclose(y[y != 0], 1 / 0.7, rtol=1e-6)
    drop.eval()
    assert drop(x) is x or np.array_equal(drop(x).numpy(), x.numpy())


def test_dropout2d_zeroes_whole_channels_in_training_only():
    mc.manual_seed(0)
    drop = mc.nn.Dropout2d(0.5)
    y = drop(mc.ones(8, 16, 3, 3)).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.7
    drop.eval()
    np.testing.assert_array_equal(drop(mc.ones(2, 3, 2, 2)).numpy(), 1)


def test_train_and_eval_reach_every_submodule():
    net = mc.nn.Sequential(mc.nn.Linear(2, 2),
                           mc.nn.Sequential(mc.nn.Dropout(), mc.nn.BatchNorm1d(2)))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("no")


def test_multihead_attention_dropout_only_in_training():
    mha = mc.nn.MultiheadAttention(4, 2, dropout=0.5)
    x = mc.randn(3, 2, 4)
    mha.eval()
    a = mha(x, x, x)[0].detach().numpy()
    np.testing.assert_array_equal(a, mha(x, x, x)[0].detach().numpy())
    mha.train()
    mc.manual_seed(0)
    b = mha(x, x, x)[0].detach().numpy()
    assert not np.allclose(a, b)


# ---------------------------------------------------------------- layer-specific behaviour

def test_embedding_padding_row_is_zero_and_gets_no_gradient():
    emb = mc.nn.Embedding(6, 3, padding_idx=4)
    np.testing.assert_array_equal(emb.weight.detach().numpy()[4], 0)
    out = emb(mc.tensor([[4, 1], [4, 4]]))
    (out * mc.randn(2, 2, 3)).sum().backward()
    grad = emb.weight.grad.numpy()
    np.testing.assert_array_equal(grad[4], 0)
    assert np.any(grad[1] != 0)
    np.testing.assert_array_equal(grad[[0, 2, 3, 5]], 0)


def test_embedding_from_pretrained_shares_and_freezes():
    weight = mc.tensor(random_array((4, 2)))
    emb = mc.nn.Embedding.from_pretrained(weight)
    assert not emb.weight.requires_grad
    assert emb.weight._data is weight._data
    np.testing.assert_array_equal(emb(mc.tensor([3, 0])).numpy(), weight.numpy()[[3, 0]])


def test_conv_transpose_output_size_out_of_range_is_rejected():
    layer = mc.nn.ConvTranspose2d(2, 3, 3, stride=2)
    with pytest.raises(ValueError, match="valid sizes range from"):
        layer(mc.randn(1, 2, 4, 4), output_size=(12, 9))
    assert layer(mc.randn(1, 2, 4, 4), output_size=(1, 3, 10, 9)).shape == (1, 3, 10, 9)


@pytest.mark.parametrize("kwargs,match", [
    ({"padding": "same", "stride": 2}, "not supported for strided"),
    ({"padding": "full"}, "invalid padding string"),
    ({"padding_mode": "reflect"}, "padding_mode"),
    ({"groups": 2}, "divisible by groups"),
])
def test_conv2d_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mc.nn.Conv2d(3, 4, 3, **kwargs)


@pytest.mark.parametrize("name,args", [("ReLU", ()), ("ReLU6", ()), ("LeakyReLU", (0.1,)),
                                       ("ELU", (1.0,)), ("SiLU", ()), ("Dropout", (0.5,))])
def test_inplace_flag_is_accepted_and_shown_like_torch(name, args):
    ours = getattr(mc.nn, name)(*args, inplace=True).eval()
    theirs = getattr(tnn, name)(*args, inplace=True).eval()
    assert repr(ours) == repr(theirs)
    x = random_array((3, 4))
    expected = theirs(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours(mc.tensor(x)).numpy(), expected, rtol=1e-12)


def test_dropout_probability_is_checked():
    with pytest.raises(ValueError, match="between 0 and 1"):
        mc.nn.Dropout(1.5)


def test_softmax_without_dim_warns_and_uses_torch_implicit_dim():
    x = random_array((2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        ours = mc.nn.Softmax()(mc.tensor(x)).numpy()
    with pytest.warns(UserWarning):
        theirs = tnn.Softmax()(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_layers_accept_dtype_and_device_arguments():
    lin = mc.nn.Linear(3, 2, dtype=mc.float64, device="cpu")
    assert lin.weight.dtype == np.float64 and lin.bias.dtype == np.float64
    bn = mc.nn.BatchNorm2d(3, dtype=mc.float64)
    assert bn.running_mean.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64


def test_multihead_attention_separate_projection_names():
    mha = mc.nn.MultiheadAttention(6, 2, kdim=4, vdim=5)
    names = [n for n, _ in mha.named_parameters()]
    assert names == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias",
                     "out_proj.weight", "out_proj.bias"]
    assert mha.in_proj_weight is None
    assert isinstance(mha.out_proj, mc.nn.Linear)
