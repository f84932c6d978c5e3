"""mc.onnx.export's contract around the graph: names, modes, files, and the models it
refuses (with a message naming the op or the reason) instead of writing a wrong graph."""
import subprocess
import sys

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn.autograd import Function
from minicnn.functional.conv_winograd import TRANSFORM_GROWTH, winograd_stays_finite
from onnx_helpers import Wrapped, export_and_compare, run_onnx

nn = mc.nn


class Doubling(Function):
    """An op of the user's own, without an ONNX form."""

    @staticmethod
    def forward(ctx, a):
        return a * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


REFUSED = {
    "an op without an ONNX form": (lambda m, x: Doubling.apply(x) + 1,
                                   r"op Doubling has no ONNX form"),
    "dropout forced into training": (lambda m, x: F.dropout(x, 0.5, training=True),
                                     r"Dropout .*random mask"),
    "a Python number taken from the input": (lambda m, x: x * x.sum().item(),
                                             r"changes with the input's values"),
    "NumPy on .data": (lambda m, x: x + mc.tensor(np.sign(x.data)),
                       r"shape \(2, 3\) read by Add changes with the input's values"),
    "control flow on values": (lambda m, x: x * 2 if x.sum().item() > 0 else x.exp(),
                               r"computes other things for other input values \(Mul from "
                               r"Mul in one pass, Exp from Exp in another\)"),
    "a branch on values between the same ops": (
        lambda m, x: (x * 2 if x.sum().item() > 0 else x.exp()) * 3 + (x.exp() * 2),
        r"computes other things for other input values"),
    "max pooling's indices": (lambda m, x: F.max_pool2d(x, 2, return_indices=True)[1],
                              r"MaxPool2d_0_1.*max pooling's indices"),
    "max unpooling": (lambda m, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
                      r"MaxUnpool2d .*cannot be exported"),
    "an output no op made": (lambda m, x: mc.zeros(2), r"output 0 of the model .* not "
                                                       r"computed by minicnn's ops"),
    "an output that is no tensor": (lambda m, x: {"y": x * 2}, r"must return a Tensor or a "
                                                               r"tuple of Tensors, got dict"),
    "fill_ on an op's result": (lambda m, x: (x * 2).fill_(1.0),
                                r"fill_ writes in place into a tensor of the traced forward"),
    "a slice assigned in the input": (lambda m, x: _assigned(x, 0.0),
                                      r"__setitem__ writes in place into a tensor of the "
                                      r"traced forward \(shape \(2, 3\)\)"),
    "copy_ into a view of a result": (lambda m, x: _copied_into_view(x * 2),
                                      r"copy_ writes in place into a tensor of the traced"),
}


def _assigned(x, value):
    x[0] = value
    return x * 2


def _copied_into_view(y):
    y[:, :1].copy_(mc.zeros(2, 1))
    return y


@pytest.mark.parametrize("case", REFUSED)
def test_refused_models_raise_naming_the_reason(tmp_path, case):
    fn, message = REFUSED[case]
    x = mc.ones(1, 1, 2, 4) if "pool" in case else mc.ones(2, 3)
    with pytest.raises((ValueError, TypeError), match=message):
        mc.onnx.export(Wrapped(fn), x, tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("opset", [16, "17", True, 10_000])
def test_bad_opsets_are_refused(tmp_path, opset):
    with pytest.raises(ValueError, match=r"export: opset must be an int from 17 to \d+"):
        mc.onnx.export(nn.ReLU(), mc.ones(2), tmp_path / "m.onnx", opset=opset)


@pytest.mark.parametrize("example, names, message", [
    (np.ones(2), None, r"example_input must be a Tensor or a tuple of Tensors, got ndarray"),
    ((), None, r"example_input must be a Tensor or a tuple of Tensors, got tuple"),
    (mc.ones(2), ["a", "b"], r"input_names must be 1 distinct non-empty strings, got"),
])
def test_bad_arguments_are_refused(tmp_path, example, names, message):
    with pytest.raises((TypeError, ValueError), match=message):
        mc.onnx.export(nn.ReLU(), example, tmp_path / "m.onnx", input_names=names)


def test_names_of_inputs_outputs_and_parameters(tmp_path):
    mc.manual_seed(0)
    model = Wrapped(lambda m, a, b: (m.fc(a) + b, m.fc(a)), fc=nn.Linear(3, 2))
    inputs = (mc.randn(4, 3), mc.randn(4, 2))
    proto = mc.onnx.export(model, inputs, tmp_path / "m.onnx")
    assert [i.name for i in proto.graph.input] == ["input_0", "input_1"]
    assert [o.name for o in proto.graph.output] == ["output_0", "output_1"]
    assert {i.name for i in proto.graph.initializer} == {"fc.weight", "fc.bias"}
    proto = mc.onnx.export(model, inputs, tmp_path / "n.onnx", input_names=["x", "y"],
                           output_names=["sum", "logits"])
    assert [o.name for o in proto.graph.output] == ["sum", "logits"]
    out = run_onnx(tmp_path / "n.onnx", inputs)
    np.testing.assert_allclose(out[1], model(*inputs)[1].detach().numpy(), rtol=1e-6)


def test_a_plain_function_exports(tmp_path):
    x = mc.randn(2, 3)
    mc.onnx.export(lambda a: F.gelu(a) * 2, x, tmp_path / "m.onnx")
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", (x,))[0],
                               (F.gelu(x) * 2).numpy(), rtol=1e-5, atol=1e-6)


def test_an_input_returned_twice_and_untouched(tmp_path):
    model = Wrapped(lambda m, x: (x, m.relu(x), x))
    model.relu = nn.ReLU()
    export_and_compare(model, mc.randn(2, 3), tmp_path / "m.onnx")


def test_the_model_is_traced_in_eval_mode_and_its_modes_restored(tmp_path):
    mc.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.9), nn.BatchNorm1d(4))
    model.train()
    model[2].eval()
    x = mc.randn(8, 4)
    mc.onnx.export(model, x, tmp_path / "m.onnx")
    assert [m.training for m in model.modules()] == [True, True, True, False]
    model.eval()
    with mc.no_grad():
        np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", (x,))[0], model(x).numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_a_refused_export_leaves_the_previous_file(tmp_path):
    path = tmp_path / "m.onnx"
    mc.onnx.export(nn.ReLU(), mc.ones(2), path)
    data = path.read_bytes()
    with pytest.raises(mc.onnx.ExportError):
        mc.onnx.export(Wrapped(lambda m, x: Doubling.apply(x)), mc.ones(2), path)
    assert path.read_bytes() == data


def test_import_minicnn_does_not_import_onnx():
    code = "import sys, minicnn; print('onnx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_a_convolution_that_changes_path_with_the_values_is_one_conv(tmp_path):
    """conv2d takes Winograd only where a max-abs bound says its transforms stay finite: an
    input near that bound goes by im2col in one pass and by Winograd in the other, which
    is the same Conv, not control flow."""
    mc.manual_seed(0)
    conv = nn.Conv2d(16, 4, 3, padding=1)
    with mc.no_grad():
        conv.weight.mul_(1e-3)
    w = conv.weight.detach().numpy()
    bound = float(np.finfo(np.float32).max) / (w[0].size * TRANSFORM_GROWTH * np.abs(w).max())
    x = np.random.default_rng(0).uniform(-1, 1, (1, 16, 8, 8)).astype(np.float32)
    x *= 1.25 * bound / np.abs(x).max()
    assert not winograd_stays_finite(x, w) and winograd_stays_finite(x * -0.75 + 0.5, w)
    export_and_compare(conv, mc.tensor(x), tmp_path / "m.onnx")


def test_in_place_arithmetic_that_would_change_the_shape_is_refused(tmp_path):
    """As in PyTorch, x.add_(y) keeps x's shape: a y that broadcasts x larger is an error."""
    def grows(m, x):
        y = x * 2
        y.add_(mc.ones(4, 2, 3))
        return y

    with pytest.raises(RuntimeError, match=r"add_: output with shape \[2, 3\] doesn't match "
                                           r"the broadcast shape \[4, 2, 3\]"):
        mc.onnx.export(Wrapped(grows), mc.ones(2, 3), tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())
