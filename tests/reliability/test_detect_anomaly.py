"""mc.autograd.detect_anomaly / set_detect_anomaly / is_anomaly_enabled, as in PyTorch: with
it on, the first gradient holding NaN raises RuntimeError naming the Function, the output
and the line of user code that created the op; with it off, nothing is recorded."""
import inspect

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn
from minicnn.autograd import Function

# the NaNs are made on purpose; NumPy's notices about them are expected
pytestmark = pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning",
                                        "ignore:divide by zero:RuntimeWarning")


def here():
    """`file:line` of the caller's line."""
    frame = inspect.currentframe().f_back
    return f"{__file__}:{frame.f_lineno}"


@pytest.fixture(autouse=True)
def anomaly_off_afterwards():
    yield
    mc.autograd.set_detect_anomaly(False)


class SqrtNet(nn.Module):
    """A layer whose output can go negative, then a square root of it."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        h = self.fc(x)
        self.site = here(); y = h.sqrt()  # noqa: E702 (the op and its line, on one line)
        return y


def sqrt_net_input():
    mc.manual_seed(0)
    net = SqrtNet()
    with mc.no_grad():
        net.fc.weight.copy_(mc.tensor(np.array([[1.0, 0, 0], [-1.0, 0, 0]], np.float32)))
        net.fc.bias.zero_()
    return net, mc.tensor(np.array([[1.0, 2.0, 3.0]], np.float32))


def test_sqrt_of_a_negative_in_a_net_names_the_function_and_the_user_line():
    net, x = sqrt_net_input()
    with mc.autograd.detect_anomaly():
        loss = net(x).sum()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    message = str(info.value)
    assert message.startswith("Function 'SqrtBackward' returned nan values in its 0th output.")
    assert f"created at {net.site}, in forward" in message
    assert "y = h.sqrt()" in message
    assert net.fc.weight.grad is None                  # stopped before reaching the leaves


def test_log_of_zero_names_log_backward_and_the_line():
    """x·log(x) at x = 0 (an entropy term): MulBackward sends 0 to LogBackward, whose 0/0
    is the first NaN."""
    x = mc.tensor(np.array([0.5, 0.0]), requires_grad=True)
    with mc.autograd.detect_anomaly():
        site = here(); entropy = -(x * x.log()).sum()  # noqa: E702
        with pytest.raises(RuntimeError, match=r"^Function 'LogBackward' returned nan values "
                                               r"in its 0th output\.") as info:
            entropy.backward()
    assert f"created at {site}, in test_log_of_zero_names_log_backward_and_the_line" \
        in str(info.value)


def test_the_output_index_is_the_input_whose_gradient_is_nan():
    """0/0: the gradient for the divisor is −g·a/b² = NaN, PyTorch's "1th output"."""
    a = mc.zeros(2, requires_grad=True)
    b = mc.zeros(2, requires_grad=True)
    with mc.autograd.detect_anomaly():
        out = (a / b).sum()
        with pytest.raises(RuntimeError, match=r"Function 'DivBackward' returned nan values "
                                               r"in its 1th output"):
            out.backward()


def test_the_message_is_pytorchs():
    torch = pytest.importorskip("torch")
    x = torch.tensor([1.0, -1.0], requires_grad=True)
    with pytest.warns(UserWarning), torch.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward0' returned nan values "
                                               r"in its 0th output\."):
            (x.sqrt() * 2).sum().backward()


def test_off_nan_gradients_pass_silently_and_no_stack_is_recorded():
    assert not mc.autograd.is_anomaly_enabled()
    x = mc.tensor(np.array([1.0, -1.0]), requires_grad=True)
    y = x.sqrt()
    assert "creation_stack" not in y.grad_fn.__dict__
    y.sum().backward()
    assert np.isnan(x.grad.numpy()[1])


def test_the_decorator_and_the_setters_switch_it_and_restore_it():
    @mc.autograd.detect_anomaly()
    def inside():
        return mc.autograd.is_anomaly_enabled()

    assert inside() and not mc.autograd.is_anomaly_enabled()
    mc.autograd.set_detect_anomaly(True)
    assert mc.autograd.is_anomaly_enabled()
    with mc.autograd.set_detect_anomaly(False):
        assert not mc.autograd.is_anomaly_enabled()
    assert mc.autograd.is_anomaly_enabled()
    with mc.autograd.detect_anomaly(check_nan=False):
        assert not mc.autograd.is_anomaly_check_nan_enabled()
    assert mc.autograd.is_anomaly_check_nan_enabled()
    mc.autograd.set_detect_anomaly(False)
    assert not mc.autograd.is_anomaly_enabled()


def test_it_is_restored_when_the_block_raises():
    with pytest.raises(KeyError):
        with mc.autograd.detect_anomaly():
            raise KeyError("x")
    assert not mc.autograd.is_anomaly_enabled()


def test_check_nan_false_lets_nan_through():
    x = mc.tensor(np.array([1.0, -1.0]), requires_grad=True)
    with mc.autograd.detect_anomaly(check_nan=False):
        x.sqrt().sum().backward()
    assert np.isnan(x.grad.numpy()[1])


def test_an_op_recorded_before_it_was_turned_on_is_still_checked():
    x = mc.tensor(np.array([-1.0]), requires_grad=True)
    y = x.sqrt().sum()
    with mc.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="SqrtBackward.*not recorded"):
            y.backward()


class Failing(Function):
    """An op whose backward raises."""

    @staticmethod
    def forward(ctx, a):
        return a * 1

    @staticmethod
    def backward(ctx, g):
        raise ValueError("backward failed")


@pytest.mark.skipif(not hasattr(Exception, "add_note"), reason="exception notes: Python 3.11+")
def test_an_error_inside_backward_gets_the_creation_site_as_a_note():
    x = mc.tensor(np.ones(2), requires_grad=True)
    with mc.autograd.detect_anomaly():
        site = here(); y = Failing.apply(x).sum()  # noqa: E702
        with pytest.raises(ValueError, match="backward failed") as info:
            y.backward()
    notes = "\n".join(info.value.__notes__)
    assert "Error detected in FailingBackward" in notes and f"created at {site}" in notes


def test_finite_training_steps_are_unchanged_under_anomaly_mode():
    """The checks observe: a step with anomaly detection on equals a step without."""
    grads = []
    for on in (False, True):
        net, x = sqrt_net_input()
        with mc.autograd.set_detect_anomaly(on):
            net.fc.bias._data[...] = 5.0             # every pre-activation positive
            net(x).sum().backward()
        grads.append(net.fc.weight.grad.numpy().copy())
    np.testing.assert_array_equal(grads[0], grads[1])
