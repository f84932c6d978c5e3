"""The table of converters: which function turns a recorded Function into ONNX nodes.

A converter is `convert(g, step)`: it reads the step's input Values, parameters and output
Values (minicnn.onnx.trace) and adds to the GraphBuilder `g` the nodes that compute each
output the graph needs under the output Value's name. A Function without a converter, or a
use of one that ONNX cannot express, raises ExportError naming the op.
"""

CONVERTERS = {}


class ExportError(ValueError):
    """A model, or one of its ops, that cannot be written as an ONNX graph."""


def converts(*functions):
    """Register the decorated converter for each Function class of `functions`."""
    def register(convert):
        for function in functions:
            CONVERTERS[function] = convert
        return convert
    return register


def convert(g, step):
    """Add the nodes of `step` to `g`."""
    converter = CONVERTERS.get(step.function)
    if converter is None:
        raise ExportError(f"export: op {step.op} has no ONNX form in minicnn.onnx (inputs "
                          f"{[None if v is None else v.shape for v in step.inputs]})")
    converter(g, step)


def refuse(step, why):
    """ExportError for a use of `step`'s op that ONNX cannot express, saying why."""
    return ExportError(f"export: {step.op} (inputs "
                       f"{[None if v is None else v.shape for v in step.inputs]}) cannot be "
                       f"exported: {why}")
