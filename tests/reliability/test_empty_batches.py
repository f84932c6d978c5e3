"""A batch of zero samples through whole networks, in training and evaluation mode, against
PyTorch: the same empty outputs, losses (NaN for a mean over nothing, 0 for a sum), zero
gradients, and BatchNorm's running statistics left as they were (PyTorch still counts the
batch in num_batches_tracked). A real batch afterwards gives PyTorch's results again."""
import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn


def conv_net(nn):
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1), nn.GroupNorm(4, 16), nn.AvgPool2d(2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.0), nn.Linear(16, 12),
        nn.BatchNorm1d(12), nn.LayerNorm(12), nn.GELU(), nn.Linear(12, 5))


def mlp(nn):
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 6), nn.BatchNorm1d(6), nn.Tanh(),
                         nn.Linear(6, 3))


NETS = {"conv": (conv_net, (3, 16, 16), 5), "mlp": (mlp, (3, 4), 3)}


def twins(name):
    """The same network in both libraries, with PyTorch's initial weights copied over."""
    build, sample_shape, classes = NETS[name]
    torch.manual_seed(0)
    theirs = build(tnn)
    ours = build(mc.nn)
    ours.load_state_dict(mc.io.from_torch(theirs.state_dict()))
    return ours, theirs, sample_shape, classes


def batch(n, sample_shape, classes, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n,) + sample_shape).astype(np.float32)
    return x, rng.integers(0, classes, size=n)


def run(model, lib, x, y, reduction):
    images = lib.tensor(x, requires_grad=True)
    out = model(images)
    loss_fn = F.cross_entropy if lib is mc else torch.nn.functional.cross_entropy
    loss = loss_fn(out, lib.tensor(y), reduction=reduction)
    (loss.sum() if reduction == "none" else loss).backward()
    return out, loss, images.grad


def state(model):
    return {k: np.asarray(v.detach().numpy() if hasattr(v, "detach") else v)
            for k, v in model.state_dict().items()}


def grads(model):
    return {n: None if p.grad is None else np.asarray(p.grad.numpy())
            for n, p in model.named_parameters()}


@pytest.mark.parametrize("name", list(NETS))
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_an_empty_batch_matches_pytorch(name, train, reduction):
    ours, theirs, sample_shape, classes = twins(name)
    ours.train(train)
    theirs.train(train)
    x, y = batch(0, sample_shape, classes)
    before = state(ours)
    out, loss, x_grad = run(ours, mc, x, y, reduction)
    t_out, t_loss, t_x_grad = run(theirs, torch, x, y, reduction)
    assert out.shape == tuple(t_out.shape) == (0, classes) and out.dtype == np.float32
    assert loss.shape == tuple(t_loss.shape)
    np.testing.assert_array_equal(loss.detach().numpy(), t_loss.detach().numpy())  # NaN or 0
    assert x_grad.shape == tuple(t_x_grad.shape)
    for key, value in grads(ours).items():
        expected = theirs.get_parameter(key).grad
        expected = np.zeros_like(value) if expected is None else expected.numpy()
        assert value is not None and not np.any(value), key
        np.testing.assert_array_equal(value, expected, err_msg=key)
    after = state(ours)
    for key, value in state(theirs).items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)
        if not key.endswith("num_batches_tracked"):
            np.testing.assert_array_equal(after[key], before[key], err_msg=key)


@pytest.mark.parametrize("name", list(NETS))
def test_training_goes_on_normally_after_an_empty_batch(name):
    ours, theirs, sample_shape, classes = twins(name)
    opt = mc.optim.SGD(ours.parameters(), lr=0.01, momentum=0.9)
    t_opt = torch.optim.SGD(theirs.parameters(), lr=0.01, momentum=0.9)
    for n in (4, 0, 6, 0, 5):
        x, y = batch(n, sample_shape, classes, seed=n)
        for model, lib, optimizer in ((ours, mc, opt), (theirs, torch, t_opt)):
            optimizer.zero_grad()
            run(model, lib, x, y, "sum")
            optimizer.step()
    for key, value in state(theirs).items():
        np.testing.assert_allclose(state(ours)[key], value, rtol=1e-3, atol=1e-4, err_msg=key)
    ours.eval()
    theirs.eval()
    x, _ = batch(3, sample_shape, classes, seed=9)
    np.testing.assert_allclose(ours(mc.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-3, atol=1e-4)


def test_functional_batch_norm_leaves_running_stats_on_an_empty_batch():
    mean, var = mc.tensor([0.5, -1.0, 2.0]), mc.tensor([1.5, 0.25, 3.0])
    out = F.batch_norm(mc.zeros(0, 3, 5), mean, var, training=True, momentum=0.5)
    assert out.shape == (0, 3, 5)
    assert mean.tolist() == [0.5, -1.0, 2.0] and var.tolist() == [1.5, 0.25, 3.0]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("reduce", [
    lambda x: x.mean(), lambda x: x.mean(0), lambda x: x.var(), lambda x: x.std(0),
    lambda x: F.mse_loss(x, x * 2), lambda x: F.l1_loss(x, x * 2),
])
def test_means_over_nothing_are_nan_without_numpy_warnings(reduce):
    x = mc.zeros(0, 3, requires_grad=True)
    out = reduce(x)
    assert np.isnan(out.detach().numpy()).all()
    out.sum().backward()
    assert x.grad.shape == (0, 3)
