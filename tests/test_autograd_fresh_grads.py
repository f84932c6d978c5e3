"""A leaf's first gradient is kept without a copy only when the Function that produced it
declares fresh_input_grads, and even then never shared between two leaves or with a hook."""
import numpy as np

import minicnn as mc
from minicnn.autograd import Function


def _twice_function(fresh, same_array):
    """y = 2·a + 2·b; backward returns arrays it allocates (one array for both when
    `same_array`), recorded in `returned`."""
    returned = []

    class Twice(Function):
        fresh_input_grads = fresh

        @staticmethod
        def forward(ctx, a, b):
            return 2 * a + 2 * b

        @staticmethod
        def backward(ctx, g):
            da = 2 * g
            db = da if same_array else 2 * g
            returned[:] = [da, db]
            return da, db

    return Twice, returned


def _leaves():
    return (mc.tensor(np.arange(4.0), requires_grad=True),
            mc.tensor(np.ones(4), requires_grad=True))


def test_a_fresh_gradient_becomes_the_leaf_grad_without_a_copy():
    Twice, returned = _twice_function(fresh=True, same_array=False)
    a, b = _leaves()
    Twice.apply(a, b).sum().backward()
    assert a.grad.numpy() is returned[0] and b.grad.numpy() is returned[1]
    np.testing.assert_array_equal(a.grad.numpy(), np.full(4, 2.0))


def test_an_undeclared_gradient_is_copied():
    Twice, returned = _twice_function(fresh=False, same_array=False)
    a, b = _leaves()
    Twice.apply(a, b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), returned[0])
    assert not np.shares_memory(b.grad.numpy(), returned[1])


def test_one_array_returned_for_two_leaves_is_kept_by_one_only():
    Twice, returned = _twice_function(fresh=True, same_array=True)
    a, b = _leaves()
    Twice.apply(a, b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.numpy()[:] = 0                      # changing one leaf's grad leaves the other's
    np.testing.assert_array_equal(b.grad.numpy(), np.full(4, 2.0))


def test_a_leaf_with_a_hook_gets_a_copy():
    Twice, returned = _twice_function(fresh=True, same_array=False)
    a, b = _leaves()
    seen = []
    a.register_hook(lambda grad: seen.append(grad))
    Twice.apply(a, b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), seen[0].numpy())
    assert b.grad.numpy() is returned[1]


def test_a_second_backward_adds_to_a_kept_gradient_without_touching_the_first():
    Twice, returned = _twice_function(fresh=True, same_array=False)
    a, b = _leaves()
    Twice.apply(a, b).sum().backward()
    first = a.grad.numpy()
    Twice.apply(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full(4, 4.0))
    np.testing.assert_array_equal(first, np.full(4, 2.0))


def test_conv2d_input_gradient_is_kept_and_correct():
    """The convolution paths declare fresh gradients; x.grad is still dY's adjoint."""
    x = mc.tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)), requires_grad=True)
    w = mc.tensor(np.ones((1, 3, 1, 1)))
    mc.functional.conv2d(x, w).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3, 6, 6)))
