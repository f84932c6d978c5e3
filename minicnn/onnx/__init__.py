"""ONNX export: `mc.onnx.export(model, example_input, "model.onnx")`.

The model is traced: it runs once on the example input, in eval mode and without recording
gradients, while `minicnn.trace_mode` hands every Function it applies (conv2d's paths,
batch_norm, linear, reshape, cat, attention ...) to a recorder (minicnn/onnx/trace.py).
Each recorded Function is then written as ONNX nodes by its converter (the convert_*.py
files, listed in registry.py), through the onnx package's helper API: convolutions become
Conv, normalizations BatchNormalization, LayerNormalization and LRN, attention MatMul and
Softmax, and so on. Parameters and buffers become initializers named by their state_dict
keys. Tracing sees what the forward pass did, not the Python that did it, so any model
built from minicnn's ops exports, whatever its modules; the graph has the example's shapes
(batch size included) and the branches the example took. To catch a trace that would not
hold for other inputs, the model runs a second time on other values: if it applies other
ops, or if a value it read that no recorded op made (the result of a comparison, of argmax,
of NumPy on .data) changes, the export is refused rather than written wrong.

Exporting needs the `onnx` package (`pip install "minicnn[onnx]"`, which also brings
onnxruntime to run the result); `import minicnn` does not import it.
"""
import importlib

from .registry import ExportError  # noqa: F401  (plain Python: needs no onnx package)


def export(model, example_input, path, opset=17, input_names=None, output_names=None):
    """Write `model` (a Module, or any callable on Tensors) as an ONNX file at `path`,
    traced on `example_input` (a Tensor or a tuple of Tensors) in eval mode; each module's
    mode is restored afterwards. `opset` is the ONNX opset, 17 or later. The graph's
    inputs are named `input` (`input_0`, `input_1` ... for several) and its outputs
    `output` (`output_0` ...), unless `input_names` / `output_names` say otherwise.
    Returns the onnx.ModelProto, which has passed onnx.checker.

    Raises ExportError (a ValueError) naming the op for an op without an ONNX form here,
    and when the trace would not hold for other input values (see the module's docstring);
    ImportError when the onnx package is missing."""
    return _exporter().export(model, example_input, path, opset=opset,
                              input_names=input_names, output_names=output_names)


def _exporter():
    """minicnn.onnx.exporter, imported on first use: it needs the onnx package."""
    try:
        importlib.import_module("onnx")
    except ImportError as exc:
        raise ImportError('mc.onnx.export needs the onnx package: pip install '
                          '"minicnn[onnx]"') from exc
    return importlib.import_module(".exporter", __name__)
