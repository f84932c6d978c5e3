"""gradcheck itself: passes correct gradients, catches wrong ones, refuses float32."""
import numpy as np
import pytest

import minicnn as mc
from minicnn.autograd import Function


class WrongSquare(Function):
    """x² with a backward that is off by a factor at the `wrong` elements (the last one)."""

    wrong = slice(-1, None)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_arrays
        grad = 2 * a * g
        grad.reshape(-1)[type(ctx).wrong] *= 1.5
        return grad


class WrongEverywhere(WrongSquare):
    """x² with a backward that is off by a factor everywhere (a wrong formula)."""

    wrong = slice(None)


def _input(shape, seed=0):
    return mc.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("mode", ["elementwise", "direction"])
def test_passes_correct_gradients(mode):
    assert mc.utils.gradcheck(lambda a, b: (a @ b).tanh(), [_input((3, 4)), _input((4, 2), 1)],
                              mode=mode)


def test_elementwise_names_input_element_and_values():
    with pytest.raises(mc.utils.GradcheckError,
                       match=r"input 0, element \(1, 2\): analytic .* vs numeric"):
        mc.utils.gradcheck(lambda a: WrongSquare.apply(a), [_input((2, 3))])


def test_direction_mode_catches_a_wrong_gradient():
    with pytest.raises(mc.utils.GradcheckError, match=r"direction 0 .*analytic .* vs numeric"):
        mc.utils.gradcheck(lambda a: WrongEverywhere.apply(a), [_input((50, 40))],
                           mode="direction")


def test_returns_false_without_raising():
    assert mc.utils.gradcheck(lambda a: WrongSquare.apply(a), [_input((2, 2))],
                              raise_exception=False) is False


def test_refuses_float32():
    with pytest.raises(TypeError, match="input 0 has dtype float32; finite differences need "
                                        "float64"):
        mc.utils.gradcheck(lambda a: a * 2, [mc.ones(2, requires_grad=True)])


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="no input requires grad"):
        mc.utils.gradcheck(lambda a: a * 2, [mc.ones(2, dtype=mc.float64)])
