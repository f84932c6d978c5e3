"""nn.init and each layer's default initialisation: the same distributions as PyTorch's
(two-sample Kolmogorov–Smirnov tests against torch's own draws, explicit bounds and
moments), in place, from minicnn's seeded generator."""
import math

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn

torch = pytest.importorskip("torch")


def ks_statistic(a, b):
    """The two-sample Kolmogorov–Smirnov distance between the empirical CDFs of a and b."""
    a, b = np.sort(a.ravel()), np.sort(b.ravel())
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / a.size
    cdf_b = np.searchsorted(b, grid, side="right") / b.size
    return np.abs(cdf_a - cdf_b).max()


def assert_same_distribution(ours, theirs, name=""):
    """KS test at level 1e-4 (c(α) = 2.15); constant tensors must be equal."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert ours.shape == theirs.shape, name
    if theirs.std() == 0:
        np.testing.assert_array_equal(ours, theirs, err_msg=name)
        return
    n = ours.size
    threshold = 2.15 * math.sqrt(2 / n)
    d = ks_statistic(ours, theirs)
    assert d < threshold, f"{name}: KS distance {d:.4f} ≥ {threshold:.4f}"


@pytest.fixture(autouse=True)
def seeds():
    mc.manual_seed(1234)
    torch.manual_seed(1234)


@pytest.mark.parametrize("nonlinearity,param", [
    ("linear", None), ("conv2d", None), ("conv_transpose2d", None), ("sigmoid", None),
    ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
    ("leaky_relu", math.sqrt(5)), ("selu", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        nn.init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        nn.init.calculate_gain("leaky_relu", "0.1")


SHAPE = (300, 40, 3, 3)
INITS = [
    ("uniform_", dict(a=-0.3, b=0.7)),
    ("normal_", dict(mean=0.5, std=2.0)),
    ("trunc_normal_", dict(mean=1.0, std=2.0, a=-1.0, b=4.0)),
    ("trunc_normal_", dict(std=0.02)),
    ("constant_", dict(val=0.25)),
    ("zeros_", {}), ("ones_", {}),
    ("xavier_uniform_", dict(gain=2.0)),
    ("xavier_normal_", {}),
    ("kaiming_uniform_", {}),
    ("kaiming_uniform_", dict(a=math.sqrt(5))),
    ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal_", dict(mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal_", dict(a=0.1, nonlinearity="leaky_relu")),
]


@pytest.mark.parametrize("name,kwargs", INITS,
                         ids=[f"{n}-{'-'.join(map(str, k.values()))}" for n, k in INITS])
def test_init_function_matches_torch_distribution(name, kwargs):
    ours = mc.empty(*SHAPE)
    assert getattr(nn.init, name)(ours, **kwargs) is ours
    theirs = getattr(torch.nn.init, name)(torch.empty(SHAPE), **kwargs)
    assert ours.dtype == np.float32
    assert_same_distribution(ours.numpy(), theirs.numpy(), name)


def test_uniform_bounds_and_moments():
    t = nn.init.uniform_(mc.empty(200_000, dtype=mc.float64), -2.0, 3.0).numpy()
    assert t.min() >= -2.0 and t.max() < 3.0
    assert t.mean() == pytest.approx(0.5, abs=0.02)
    assert t.std() == pytest.approx(5 / math.sqrt(12), rel=0.01)


@pytest.mark.parametrize("dtype", [mc.float64, mc.float32])
@pytest.mark.parametrize("a, b", [(-1.0, 2.0),     # most of the mass: redrawn normals
                                  (1.5, 3.0)])     # a tail: the inverse CDF
def test_trunc_normal_stays_in_bounds_and_has_the_truncated_moments(a, b, dtype):
    t = nn.init.trunc_normal_(mc.empty(200_000, dtype=dtype), mean=0.0, std=1.0, a=a,
                              b=b).numpy()
    assert t.dtype == np.dtype(dtype) and t.min() >= a and t.max() <= b
    # truncated standard normal on [a, b]: mean (φ(a) − φ(b)) / (Φ(b) − Φ(a))
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(b) - cdf(a)
    mean = (phi(a) - phi(b)) / z
    var = 1 + (a * phi(a) - b * phi(b)) / z - mean ** 2
    assert t.mean() == pytest.approx(mean, abs=0.01)
    assert t.var() == pytest.approx(var, rel=0.02)


def test_eye_and_in_place_on_parameters():
    p = nn.Parameter(mc.zeros(3, 4))
    assert nn.init.eye_(p) is p and p.requires_grad
    np.testing.assert_array_equal(p.detach().numpy(), np.eye(3, 4))
    data = p._data
    nn.init.normal_(p)
    assert p._data is data  # filled in place


def test_init_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(mc.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nn.init.kaiming_uniform_(mc.empty(3, 3), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):
        nn.init.kaiming_normal_(mc.empty(0, 3))


def test_init_is_reproducible_from_the_seed():
    mc.manual_seed(7)
    a = nn.Linear(20, 10).weight.detach().numpy().copy()
    mc.manual_seed(7)
    b = nn.Linear(20, 10).weight.detach().numpy()
    c = nn.Linear(20, 10).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_linear_default_init_bounds_and_std():
    layer = nn.Linear(1000, 1000)
    bound = 1 / math.sqrt(1000)
    w = layer.weight.detach().numpy()
    b = layer.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert abs(w.mean()) < 0.01 * bound
    assert np.abs(b).max() <= bound and b.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)


LAYERS = [
    ("Linear", (1000, 500), {}),
    ("Conv2d", (64, 32, 5), {}),
    ("Conv2d", (64, 64, 3), {"groups": 4}),
    ("ConvTranspose2d", (32, 64, 4), {"groups": 2}),
    ("Embedding", (2000, 100), {"padding_idx": 3}),
    ("MultiheadAttention", (256, 8), {}),
    ("MultiheadAttention", (64, 4), {"kdim": 32, "vdim": 48, "add_bias_kv": True}),
    ("BatchNorm2d", (16,), {}),
    ("LayerNorm", (32,), {}),
    ("GroupNorm", (4, 16), {}),
]


@pytest.mark.parametrize("name,args,kwargs", LAYERS, ids=[l[0] + str(l[1]) for l in LAYERS])
def test_layer_default_init_matches_torch(name, args, kwargs):
    ours = getattr(nn, name)(*args, **kwargs)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    sd_t = theirs.state_dict()
    for key, value in ours.state_dict().items():
        assert_same_distribution(value.numpy(), sd_t[key].numpy(), key)
    if name == "Embedding":
        np.testing.assert_array_equal(ours.weight.detach().numpy()[3], 0)
