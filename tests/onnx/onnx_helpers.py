"""Exporting a function or model and running the file with onnxruntime beside minicnn."""
import numpy as np
import pytest

import minicnn as mc

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")


class Wrapped(mc.nn.Module):
    """A Module whose forward is `fn` (and whose parameters are `params`, by name)."""

    def __init__(self, fn, **params):
        super().__init__()
        self.fn = fn
        for name, value in params.items():
            setattr(self, name, value)

    def forward(self, *inputs):
        return self.fn(self, *inputs)


def run_onnx(path, inputs, input_names=None):
    """The outputs of the ONNX file at `path` on `inputs` (minicnn tensors)."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = input_names or [i.name for i in session.get_inputs()]
    return session.run(None, {n: x.numpy() for n, x in zip(names, inputs)})


def minicnn_outputs(model, inputs):
    with mc.no_grad():
        out = model(*inputs)
    return [o.numpy() for o in (out if isinstance(out, (tuple, list)) else (out,))]


def assert_close(actual, expected, rtol=1e-4):
    """Equal up to `rtol` of the largest magnitude of `expected` (logits near zero make a
    per-element relative error meaningless)."""
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    scale = max(float(np.abs(expected).max(initial=0)), 1e-30)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=rtol * scale)


def export_and_compare(model, inputs, path, opset=17, rtol=1e-4, check=True):
    """Export `model` traced on `inputs`, check the file, and compare onnxruntime's outputs
    with minicnn's in eval mode (the mode export traces in); returns the ModelProto."""
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    model.eval()
    proto = mc.onnx.export(model, inputs, path, opset=opset)
    if check:
        onnx.checker.check_model(str(path), full_check=True)
    expected = minicnn_outputs(model, inputs)
    actual = run_onnx(path, inputs)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert_close(a, e, rtol)
    return proto


def op_types(proto):
    return [node.op_type for node in proto.graph.node]
