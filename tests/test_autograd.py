"""Graph semantics: accumulation, retain_graph, no_grad, detach, deep graphs, freeing."""
import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F


def test_gradients_accumulate_across_backward_calls():
    x = mc.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [2 + 3, 4 + 3]


def test_shared_subexpression_sums_both_paths():
    x = mc.tensor([3.0], requires_grad=True)
    y = x * x          # used twice below
    z = y * 2 + y.exp().log() + y
    z.backward(mc.ones(1))
    assert x.grad.tolist() == pytest.approx([4 * 2 * 3.0])  # dz/dy = 4, dy/dx = 2x


def test_second_backward_through_freed_graph_is_refused():
    x = mc.tensor([1.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = mc.tensor([1.0, -2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, -8.0]


def test_non_scalar_root_needs_gradient():
    x = mc.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"only for scalar outputs.*shape \(2, 3\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\) but the output has "
                                         r"shape \(2, 3\)"):
        y.backward(mc.ones(3))
    y.backward(mc.full((2, 3), 0.5))
    assert x.grad.tolist() == [[1.0] * 3] * 2


def test_backward_of_tensor_without_graph_fails_clearly():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (mc.ones(2) * 2).sum().backward()


def test_no_grad_context_and_decorator():
    x = mc.ones(2, requires_grad=True)
    with mc.no_grad():
        assert not mc.is_grad_enabled()
        y = x * 2
        with mc.enable_grad():
            z = x * 2
    assert mc.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad

    @mc.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad


def test_detach_cuts_the_graph_and_shares_data():
    x = mc.ones(2, requires_grad=True)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d._data is y._data
    (y * d).sum().backward()
    assert x.grad.tolist() == [9.0, 9.0]  # d is a constant 3, y contributes 3·d


def test_deep_chain_has_no_recursion_limit():
    x = mc.tensor([1.0], dtype=mc.float64, requires_grad=True)
    y = x
    for _ in range(1000):
        y = y * 1.001 + 0.0
    y.sum().backward()
    assert x.grad.item() == pytest.approx(1.001 ** 1000)


def test_retain_grad_and_hooks():
    x = mc.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    x.register_hook(lambda g: g * 10)  # replaces the leaf's gradient
    (y * y).sum().backward()
    assert y.grad.tolist() == [6.0, 12.0] and seen == [[6.0, 12.0]]
    assert x.grad.tolist() == [180.0, 360.0]


def test_unused_outputs_of_multi_output_ops_get_zero_gradient():
    x = mc.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    first, _ = x.split(2)
    (first * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 0.0, 0.0]


def test_leaf_grad_arrays_are_independent():
    a, b = mc.ones(2, requires_grad=True), mc.ones(2, requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0]


def test_integer_results_do_not_join_the_graph():
    x = mc.randn(3, 4, requires_grad=True)
    assert not x.argmax(1).requires_grad
    assert not x.long().requires_grad
    assert not (x > 0).requires_grad


def _train_step(w, x, y):
    loss = F.cross_entropy(F.linear(F.relu(F.linear(x, w[0])), w[1]), y)
    loss.backward()
    with mc.no_grad():
        for p in w:
            p -= 0.01 * p.grad
            p.grad = None
    return loss


def test_saved_arrays_are_freed_after_backward():
    w = [mc.randn(32, 16, requires_grad=True), mc.randn(4, 32, requires_grad=True)]
    x, y = mc.randn(64, 16), mc.randint(0, 4, (64,))
    for _ in range(5):
        _train_step(w, x, y)
    gc.collect()
    tracemalloc.start()
    start, _ = tracemalloc.get_traced_memory()
    losses = [_train_step(w, x, y) for _ in range(200)]  # keeping the roots keeps the nodes
    gc.collect()
    grown, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    per_step = (grown - start) / 200
    # a step's saved activations are ≥ 64·32·4 bytes several times over; after backward only
    # the node skeletons stay reachable from each kept loss
    assert per_step < 64 * 32 * 4, f"{per_step:.0f} bytes kept per step"
    assert all(loss.grad_fn.released for loss in losses)


def test_graph_is_collected_once_the_root_is_dropped():
    x = mc.randn(8, 8, requires_grad=True)
    y = (x.exp() * 2).sum()
    node = weakref.ref(y.grad_fn)
    y.backward()
    del y
    gc.collect()
    assert node() is None


def test_float64_flows_through():
    x = mc.randn(3, 3, dtype=mc.float64, requires_grad=True)
    y = (x @ x).softmax(1).sum()
    y.backward()
    assert y.dtype == np.float64 and x.grad.dtype == np.float64


def test_zero_dim_leaf_gradient_is_an_array_and_steps():
    """A 0-d parameter's gradient is a 0-d array (NumPy scalars would not be), also when it
    accumulates, and an optimizer steps it (CLIP's logit_scale)."""
    scale = mc.nn.Parameter(mc.tensor(np.float32(2.0)))
    for _ in range(2):
        (scale.exp() * 3).backward()
    assert isinstance(scale.grad._data, np.ndarray) and scale.grad.shape == ()
    np.testing.assert_allclose(scale.grad.numpy(), 6 * np.exp(2.0), rtol=1e-6)
    mc.optim.SGD([scale], lr=0.01).step()
    np.testing.assert_allclose(scale.detach().numpy(), 2.0 - 0.06 * np.exp(2.0), rtol=1e-6)
