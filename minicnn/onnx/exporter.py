"""mc.onnx.export: trace the model, convert each step, check, write the file atomically."""
import contextlib
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..io.atomic import atomic_write
from ..tensor import Tensor
from ..version import __version__
# the converters fill registry.CONVERTERS as they are imported
from . import (convert_conv, convert_elementwise, convert_linalg, convert_norm,  # noqa: F401
               convert_pool, convert_reduce, convert_resample, convert_shape)
from .graph import GraphBuilder, Node
from .registry import ExportError, convert
from .trace import trace

MIN_OPSET = 17          # LayerNormalization's first opset
DEFAULT_OPSET = 17


def _example_inputs(example_input):
    inputs = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
    if not inputs or not all(isinstance(x, Tensor) for x in inputs):
        raise TypeError(f"export: example_input must be a Tensor or a tuple of Tensors, got "
                        f"{type(example_input).__name__}")
    return tuple(inputs)


def _names(given, default, count, what):
    if given is None:
        return [default] if count == 1 else [f"{default}_{i}" for i in range(count)]
    given = list(given)
    if len(given) != count or len(set(given)) != count or \
            not all(isinstance(n, str) and n for n in given):
        raise ValueError(f"export: {what} must be {count} distinct non-empty strings, got "
                         f"{given!r}")
    return given


def _check_opset(opset):
    newest = onnx.defs.onnx_opset_version()
    if not isinstance(opset, int) or isinstance(opset, bool) or \
            not MIN_OPSET <= opset <= newest:
        raise ValueError(f"export: opset must be an int from {MIN_OPSET} to {newest} (the "
                         f"newest this onnx package knows), got {opset!r}")


@contextlib.contextmanager
def _eval_mode(model):
    """The model (a Module; a plain function has no mode) in eval mode within the block;
    each module's mode is restored after."""
    modules = model.modules() if hasattr(model, "modules") else ()
    modes = [(module, module.training) for module in modules]
    if modes:
        model.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


def _other_values(inputs):
    """Inputs of the same shapes with other values: floating ones moved and flipped in sign,
    the others (indices, masks) kept."""
    return tuple(x * -0.75 + 0.5 if x.dtype.kind == "f" else x for x in inputs)


def _reader_of(trace, name):
    for step in trace.steps:
        if any(v is not None and v.name == name for v in step.inputs + tuple(
                step.arrays.values())):
            return step.op
    return "the output"


class _Converted:
    """A trace written as nodes: the GraphBuilder and, per node, the op it came from."""

    def __init__(self, trace, opset, taken):
        self.trace = trace
        self.graph = GraphBuilder(opset, taken)
        self.origins = []
        for step in trace.steps:
            convert(self.graph, step)
            self.origins += [step.op] * (len(self.graph.nodes) - len(self.origins))


def _wiring(nodes):
    """Each node's inputs, a node's output named by (node index, output index) and any
    other value (an input, a parameter, a constant) by its name: equal for two passes that
    connect the same nodes, whatever names their values got."""
    made = {}
    wiring = []
    for i, node in enumerate(nodes):
        wiring.append([made.get(name, name) for name in node.inputs])
        made.update((name, (i, j)) for j, name in enumerate(node.outputs))
    return wiring


def _check_same_graph(first, second):
    """Refuse a trace that other input values would change: other nodes (control flow on
    values), or other constants (values computed from the input outside the recorded ops,
    or parameters of ops taken from it). Nodes are compared, not Functions: conv2d may
    take another path for other values and still be the same Conv."""
    a, b = first.graph, second.graph
    for i, (x, y, x_in, y_in) in enumerate(zip(a.nodes, b.nodes, _wiring(a.nodes),
                                               _wiring(b.nodes))):
        if x.op_type != y.op_type or x.attributes != y.attributes or x_in != y_in:
            raise ExportError(f"export: the model computes other things for other input "
                              f"values ({x.op_type} from {first.origins[i]} in one pass, "
                              f"{y.op_type} from {second.origins[i]} in another); a forward "
                              f"whose control flow depends on the input's values cannot be "
                              f"exported")
    if len(a.nodes) != len(b.nodes):
        raise ExportError(f"export: the model computes {len(a.nodes)} nodes for one input "
                          f"and {len(b.nodes)} for another; a forward whose control flow "
                          f"depends on the input's values cannot be exported")
    pairs = list(zip(first.trace.constants.items(), second.trace.constants.values())) + \
        list(zip(a.constants.items(), b.constants.values()))
    if len(pairs) != len(first.trace.constants) + len(a.constants) or \
            len(second.trace.constants) + len(b.constants) != len(pairs):
        raise ExportError("export: the model uses other constants for other input values "
                          "(values computed from the input outside minicnn's recorded ops)")
    for (name, value), other in pairs:
        if other.shape != value.shape or \
                not np.array_equal(value, other, equal_nan=value.dtype.kind in "fc"):
            raise ExportError(f"export: a tensor of shape {value.shape} read by "
                              f"{_reader_of(first.trace, name)} changes with the input's "
                              f"values but was not computed by minicnn's recorded ops (a "
                              f"comparison done in NumPy, .item(), an op's argument taken "
                              f"from the input), so the graph would hold the example's "
                              f"values; compute it with minicnn's ops")


def _prune(nodes, outputs):
    """The nodes that the outputs need, in order, and the names those nodes read."""
    needed, kept = set(outputs), []
    for node in reversed(nodes):
        if needed.intersection(node.outputs):
            kept.append(node)
            needed.update(i for i in node.inputs if i)
    return kept[::-1], needed


def _output_names(trace, output_names, produced_outside):
    """({value name: output name} for the outputs that nodes make under their output names,
    Identity nodes for the others): an output that is a graph input, an initializer or an
    output already named is copied by an Identity."""
    renamed, copies = {}, []
    for value, name in zip(trace.outputs, output_names):
        if value.name in renamed or value.name in produced_outside:
            copies.append(Node("Identity", [value.name], [name], {}, f"{name}_copy"))
        else:
            renamed[value.name] = name
    return renamed, copies


def _tensor_info(name, value):
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(value.dtype),
                                         list(value.shape))


def _build_graph(trace, g, output_names):
    initial = dict(trace.parameters, **trace.constants, **g.constants)
    inputs = {v.name for v in trace.inputs}
    made = inputs | set(initial) | {o for node in g.nodes for o in node.outputs}
    for i, value in enumerate(trace.outputs):
        if value.name not in made:
            raise ExportError(f"export: output {i} of the model ({value.name}) is made by no "
                              f"exported op (max pooling's indices, for one, are not "
                              f"exported)")
    renamed, copies = _output_names(trace, output_names, inputs | set(initial))
    nodes, needed = _prune(g.nodes, [v.name for v in trace.outputs])
    produced = inputs | {o for node in nodes for o in node.outputs}
    for node in nodes:
        for name in node.inputs:
            if name and name not in produced and name not in initial:
                raise ExportError(f"export: {node.op_type} reads {name!r}, which no exported "
                                  f"op produces (max pooling's indices, for one, are not "
                                  f"exported)")
    initializers = [numpy_helper.from_array(np.asarray(array, order="C"), name)
                    for name, array in initial.items() if name in needed]
    return helper.make_graph(
        [node.proto(renamed) for node in nodes + copies], "minicnn",
        [_tensor_info(v.name, v) for v in trace.inputs],
        [_tensor_info(name, v) for v, name in zip(trace.outputs, output_names)],
        initializer=initializers)


def export(model, example_input, path, opset=DEFAULT_OPSET, input_names=None,
           output_names=None):
    """See minicnn.onnx.export."""
    inputs = _example_inputs(example_input)
    _check_opset(opset)
    input_names = _names(input_names, "input", len(inputs), "input_names")
    with _eval_mode(model):
        first = trace(model, inputs, input_names)
        output_names = _names(output_names, "output", len(first.outputs), "output_names")
        taken = {v.name for step in first.steps for v in step.outputs} | \
            set(first.parameters) | set(first.constants) | set(input_names) | set(output_names)
        converted = _Converted(first, opset, taken)
        other = _Converted(trace(model, _other_values(inputs), input_names), opset, taken)
    _check_same_graph(converted, other)
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(_build_graph(first, converted.graph, output_names),
                              opset_imports=opsets, producer_name="minicnn",
                              producer_version=__version__,
                              # the oldest IR the opset allows, which older runtimes read
                              ir_version=helper.find_min_ir_version_for(opsets))
    data = proto.SerializeToString()
    onnx.checker.check_model(data)
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_write(path, suffix=".onnx") as f:
        f.write(data)
    return proto
