"""mc.utils.checkpoint: the same outputs and gradients as running the segment directly,
no saved activations between forward and backward, dropout recomputed with the same mask."""
import weakref

import numpy as np
import pytest
from conftest import random_array

import minicnn as mc
from minicnn import nn
from minicnn.activation_checkpoint import checkpoint, checkpoint_sequential
from minicnn.autograd import Function


def block():
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Dropout(0.3), nn.Conv2d(4, 3, 3, padding=1), nn.Tanh()).double()


def grads_of(module, *tensors):
    return [p.grad.numpy().copy() for p in module.parameters()] + \
        [t.grad.numpy().copy() for t in tensors]


def run(net, x, use_checkpoint, seed=3):
    """One training step of net on x (seeded); returns the output and all gradients."""
    net.zero_grad()
    x.grad = None
    mc.manual_seed(seed)
    y = mc.utils.checkpoint(net, x) if use_checkpoint else net(x)
    (y * mc.tensor(random_array(tuple(y.shape), seed=5))).sum().backward()
    return y.detach().numpy(), grads_of(net, x)


def test_gradients_equal_running_without_checkpoint_including_dropout():
    mc.manual_seed(0)
    net = block()
    x = mc.tensor(random_array((2, 3, 5, 5)), requires_grad=True)
    y_plain, g_plain = run(net, x, False)
    y_ckpt, g_ckpt = run(net, x, True)
    np.testing.assert_array_equal(y_ckpt, y_plain)
    assert len(g_plain) == len(g_ckpt) == 7
    for a, b in zip(g_plain, g_ckpt):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)
    # a different seed gives a different dropout mask: the comparison above is not vacuous
    _, g_other = run(net, x, False, seed=4)
    assert not np.allclose(g_other[0], g_plain[0])


def test_random_state_after_checkpoint_is_that_of_a_single_run():
    net = block()
    x = mc.tensor(random_array((1, 3, 4, 4)), requires_grad=True)
    mc.manual_seed(11)
    net(x).sum().backward()
    after_plain = mc.rand(3).numpy()
    mc.manual_seed(11)
    mc.utils.checkpoint(net, x).sum().backward()
    np.testing.assert_array_equal(mc.rand(3).numpy(), after_plain)


class Recorded(Function):
    """Doubles its input and saves a copy for backward; live instances are tracked."""

    alive = weakref.WeakSet()

    @staticmethod
    def forward(ctx, a):
        Recorded.alive.add(ctx)
        ctx.save_for_backward(a.copy())
        return a * 2

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_arrays
        return 2 * g


WEIGHT = nn.Parameter(mc.tensor(random_array((4, 3), seed=1)))


def segment(x):
    """Two recorded ops on the input and a parameter captured from outside (as in a
    module), so that, run with grad, the graph would keep both nodes' arrays."""
    h = Recorded.apply(x * WEIGHT)
    return Recorded.apply(h.tanh()) + h


def test_checkpoint_keeps_no_activations_of_the_segment():
    x = mc.tensor(random_array((4, 3)), requires_grad=True)
    Recorded.alive.clear()
    y = segment(x)
    assert len(Recorded.alive) == 2  # without checkpoint both nodes keep their arrays
    y.sum().backward()
    expected = x.grad.numpy().copy(), WEIGHT.grad.numpy().copy()
    del y
    x.grad = WEIGHT.grad = None
    Recorded.alive.clear()
    y = checkpoint(segment, x)
    assert len(Recorded.alive) == 0  # nothing of the segment survives the forward
    assert [a is x._data for a in y.grad_fn.saved] == [True]  # the checkpoint keeps the input
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected[0], rtol=1e-12)
    np.testing.assert_allclose(WEIGHT.grad.numpy(), expected[1], rtol=1e-12)


def test_multiple_outputs_kwargs_and_non_tensor_arguments():
    def fn(a, scale, b, power=2):
        return a * scale + b, (a * b) ** power

    arrays = [random_array((3, 2), seed=s) for s in (0, 1)]
    results = []
    for use in (False, True):
        a, b = (mc.tensor(v, requires_grad=True) for v in arrays)
        outs = checkpoint(fn, a, 3.0, b, power=3) if use else fn(a, 3.0, b, power=3)
        assert isinstance(outs, tuple) and len(outs) == 2
        (outs[0].sum() + (outs[1] * 2).sum()).backward()
        results.append((outs[0].detach().numpy(), outs[1].detach().numpy(), a.grad.numpy(),
                        b.grad.numpy()))
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_only_one_output_used():
    def fn(a):
        return a * 2, a * 3

    a = mc.tensor(random_array((2, 2)), requires_grad=True)
    first, _ = checkpoint(fn, a)
    first.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2.0)


def test_parameters_get_gradients_even_when_no_input_requires_grad():
    lin = nn.Linear(3, 2).double()
    x = mc.tensor(random_array((4, 3)))
    y = checkpoint(lin, x)
    assert y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(),
                               np.broadcast_to(x.numpy().sum(0), (2, 3)), rtol=1e-12)


def test_checkpoint_under_no_grad_just_runs():
    lin = nn.Linear(3, 2)
    with mc.no_grad():
        y = checkpoint(lin, mc.randn(1, 3))
    assert not y.requires_grad


def test_checkpoint_sequential_matches_plain_run():
    mc.manual_seed(0)
    net = nn.Sequential(*[nn.Sequential(nn.Linear(4, 4), nn.GELU()) for _ in range(5)]).double()
    x = mc.tensor(random_array((3, 4)), requires_grad=True)
    net(x).sum().backward()
    expected = grads_of(net, x)
    net.zero_grad()
    x.grad = None
    checkpoint_sequential(net, 3, x).sum().backward()
    for got, want in zip(grads_of(net, x), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_second_backward_through_a_checkpoint_is_an_error():
    x = mc.tensor(random_array((2, 2)), requires_grad=True)
    y = checkpoint(lambda a: a.tanh(), x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


def test_function_must_return_tensors():
    with pytest.raises(TypeError, match="must return a Tensor"):
        checkpoint(lambda a: a.shape, mc.ones(2, requires_grad=True))


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def test_recomputed_dropout_mask_is_the_forward_mask(device):
    """y = dropout(x) · 1 with x ≠ 0: the gradient is the mask, nonzero exactly where y is."""
    x = mc.tensor(random_array((64, 32)) + 10, device=device, requires_grad=True)
    y = checkpoint(lambda a: mc.nn.functional.dropout(a, 0.5, training=True), x)
    y.sum().backward()
    kept = y.detach().cpu().numpy() != 0
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.where(kept, 2.0, 0.0), rtol=1e-6)
