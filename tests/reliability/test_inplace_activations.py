"""In-place activations (`inplace=True`, F.relu_, x.relu_() ...) overwrite their input and
return it, with PyTorch's autograd rules: the version is bumped, a leaf that requires grad
is refused while grad mode is on, and the gradient through a non-leaf is PyTorch's."""
import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

LEAF = "a leaf Variable that requires grad is being used in an in-place operation."


def _module(name, *args):
    return lambda lib, x: getattr(lib.nn, name)(*args, inplace=True)(x)


def _functional(name, *args, **kwargs):
    return lambda lib, x: getattr(F if lib is mc else TF, name)(x, *args, **kwargs)


# name -> call(lib, x) that runs the in-place form of minicnn (lib = mc) or torch
FORMS = {
    "F.relu(inplace)": _functional("relu", inplace=True),
    "F.relu_": _functional("relu_"),
    "Tensor.relu_": lambda lib, x: x.relu_(),
    "nn.ReLU": _module("ReLU"),
    "F.relu6(inplace)": _functional("relu6", inplace=True),
    "nn.ReLU6": _module("ReLU6"),
    "F.leaky_relu(inplace)": _functional("leaky_relu", 0.2, inplace=True),
    "F.leaky_relu_": _functional("leaky_relu_", 0.2),
    "nn.LeakyReLU": _module("LeakyReLU", 0.1),
    "F.hardtanh(inplace)": _functional("hardtanh", -0.5, 0.7, inplace=True),
    "F.hardtanh_": _functional("hardtanh_"),
    "nn.Hardtanh": _module("Hardtanh", -0.3, 0.4),
    "F.elu(inplace)": _functional("elu", 0.5, inplace=True),
    "F.elu_": _functional("elu_"),
    "nn.ELU": _module("ELU", 1.5),
    "F.silu(inplace)": _functional("silu", inplace=True),
    "nn.SiLU": _module("SiLU"),
    "Tensor.sigmoid_": lambda lib, x: x.sigmoid_(),
    "Tensor.tanh_": lambda lib, x: x.tanh_(),
}
RNG = np.random.default_rng(0)
X = (RNG.standard_normal((3, 4)) * 2).astype(np.float32)
X[0, :2] = (0.0, -0.0)
WEIGHT = RNG.standard_normal((3, 4)).astype(np.float32)


def _run(lib, form, then=None):
    """A non-leaf h = 2·a goes through the in-place form; (out, h, a) after backward of
    Σ out·WEIGHT (after `then(out)` under no_grad, if given)."""
    a = lib.tensor(X.copy(), requires_grad=True)
    h = a * 2.0
    out = form(lib, h)
    if then is not None:
        with (mc.no_grad() if lib is mc else torch.no_grad()):
            then(out)
    (out * lib.tensor(WEIGHT)).sum().backward()
    return out, h, a


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
def test_in_place_on_a_non_leaf_matches_torch(form):
    out, h, a = _run(mc, form)
    t_out, t_h, t_a = _run(torch, form)
    assert out is h and t_out is t_h
    np.testing.assert_allclose(h.detach().numpy(), t_h.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(a.grad.numpy(), t_a.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert h._version == t_h._version == 1
    assert h.grad_fn is not None and not h.is_leaf


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
def test_modifying_the_result_again_raises_where_torch_does(form):
    def again(out):
        out.add_(1.0)

    try:
        _run(torch, form, again)
        torch_raises = None
    except RuntimeError as e:
        torch_raises = str(e)
    if torch_raises is None:
        _, _, a = _run(mc, form, again)
        _, _, t_a = _run(torch, form, again)
        np.testing.assert_allclose(a.grad.numpy(), t_a.grad.numpy(), rtol=1e-5, atol=1e-6)
    else:
        with pytest.raises(RuntimeError, match="is at version 2; expected version 1 instead"):
            _run(mc, form, again)


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
def test_a_leaf_that_requires_grad_is_refused(form):
    a = mc.tensor(X.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match=LEAF):
        form(mc, a)
    np.testing.assert_array_equal(a.detach().numpy(), X)      # untouched
    assert a._version == 0
    with pytest.raises(RuntimeError, match=LEAF):
        form(torch, torch.tensor(X.copy(), requires_grad=True))


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
def test_under_no_grad_and_without_grad_the_input_is_overwritten(form):
    for requires_grad, context in ((True, mc.no_grad), (False, mc.enable_grad)):
        a = mc.tensor(X.copy(), requires_grad=requires_grad)
        t = torch.tensor(X.copy())
        with context():
            out = form(mc, a)
        form(torch, t)
        assert out is a and a.is_leaf and a._version == 1
        np.testing.assert_allclose(a.detach().numpy(), t.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name, kwargs", [("leaky_relu", {"negative_slope": -0.5}),
                                          ("elu", {"alpha": -0.5})])
def test_negative_slope_in_place_backward_raises_as_torch(name, kwargs):
    for lib, functional in ((mc, F), (torch, TF)):
        a = lib.tensor(X.copy(), requires_grad=True)
        h = a * 1.0
        getattr(functional, name)(h, inplace=True, **kwargs)
        with pytest.raises(RuntimeError, match="negative slope"):
            h.sum().backward()


def test_in_place_on_a_tensor_saved_by_an_earlier_op():
    """sigmoid keeps its output: relu_ over it makes its backward fail, as in PyTorch."""
    a = mc.tensor(X.copy(), requires_grad=True)
    s = a.sigmoid()
    F.relu(s, inplace=True)
    with pytest.raises(RuntimeError, match=r"which is output 0 of Sigmoid, is at version 1; "
                                           r"expected version 0 instead"):
        s.sum().backward()


def test_chained_in_place_activations():
    """hardtanh_ and silu keep a private copy of their input, relu_ its result: chained in
    that order, every backward finds what it saved intact."""
    def net(lib, functional):
        a = lib.tensor(X.copy(), requires_grad=True)
        h = a * 3.0
        functional.hardtanh_(h, -1.0, 4.0)
        functional.silu(h, inplace=True)
        functional.relu_(h)
        (h * h).sum().backward()
        return h, a

    h, a = net(mc, F)
    t_h, t_a = net(torch, TF)
    np.testing.assert_allclose(h.detach().numpy(), t_h.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(a.grad.numpy(), t_a.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert h._version == t_h._version == 3


@pytest.mark.parametrize("lib, functional", [(mc, F), (torch, TF)], ids=["minicnn", "torch"])
def test_in_place_over_a_kept_result_raises(lib, functional):
    """relu_ keeps its result: a second in-place activation over it breaks its backward."""
    a = lib.tensor(X.copy(), requires_grad=True)
    h = a * 3.0
    functional.relu_(h)
    functional.hardtanh_(h, -1.0, 4.0)
    with pytest.raises(RuntimeError, match=r"which is output 0 of (?i:relu)\w*, is at version 2; "
                                           r"expected version 1 instead"):
        (h * h).sum().backward()


def test_in_place_on_memory_shared_with_a_recorded_view_is_refused():
    """PyTorch rewrites the graph of every view of the memory (CopySlices); minicnn refuses
    instead of leaving a view's gradient wrong."""
    a = mc.tensor(X.copy(), requires_grad=True)
    h = a * 1.0
    v = h[0]
    for target in (v, h):
        with pytest.raises(RuntimeError, match="shares its memory with a view recorded in the "
                                               "graph"):
            F.relu(target, inplace=True)
    assert h._version == 0


def test_conv_block_with_in_place_relu_trains_as_out_of_place():
    images = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)

    def block(inplace):
        mc.manual_seed(0)
        net = mc.nn.Sequential(mc.nn.Conv2d(3, 4, 3, padding=1), mc.nn.BatchNorm2d(4),
                               mc.nn.ReLU(inplace=inplace), mc.nn.Conv2d(4, 2, 3),
                               mc.nn.ReLU6(inplace=inplace))
        net(mc.tensor(images)).sum().backward()
        return [p.grad.numpy() for p in net.parameters()]

    for got, want in zip(block(True), block(False)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_repr_of_in_place_modules():
    assert repr(mc.nn.ReLU(inplace=True)) == repr(torch.nn.ReLU(inplace=True))


@pytest.mark.parametrize("call", [
    lambda x: F.dropout(x, 0.5, inplace=True),
    lambda x: mc.nn.Dropout(0.5, inplace=True)(x),
    lambda x: F.dropout2d(x, 0.5, inplace=True),
    lambda x: mc.nn.Dropout2d(0.5, inplace=True)(x),
], ids=["F.dropout", "nn.Dropout", "F.dropout2d", "nn.Dropout2d"])
def test_dropout_in_place(call):
    """The kept elements are doubled, the others zeroed, in the input itself; the gradient
    is the mask, as in PyTorch (whose random streams differ, so only the structure is
    compared)."""
    a = mc.tensor(np.abs(X.reshape(1, 3, 2, 2)) + 1, requires_grad=True)
    h = a * 1.0
    mc.manual_seed(0)
    out = call(h)
    assert out is h and h._version == 1
    kept = h.detach().numpy() != 0
    np.testing.assert_allclose(h.detach().numpy()[kept], 2 * a.detach().numpy()[kept])
    h.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), 2.0 * kept)
    with pytest.raises(RuntimeError, match=LEAF):
        call(a)


def test_dropout_with_p_one_in_place_zeroes_the_input():
    x = mc.ones(4)
    assert F.dropout(x, 1.0, inplace=True) is x
    np.testing.assert_array_equal(x.numpy(), np.zeros(4, np.float32))
    assert x._version == torch.nn.functional.dropout(torch.ones(4), 1.0, inplace=True)._version
