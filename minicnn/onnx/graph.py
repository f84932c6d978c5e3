"""GraphBuilder: the nodes and constants of the ONNX graph being built.

Converters add nodes with `node(op_type, inputs, out, **attributes)` and constants with
`const(value, dtype)`; the helpers below hide what changed between the opsets minicnn
writes (17 and later): the axes of ReduceMean, ReduceMax, ReduceMin and ReduceLogSumExp
became an input in opset 18, and Gelu is an operator from opset 20. Nodes are kept as
`Node` records until the graph is complete (the exporter compares, prunes and renames
them), then made into NodeProtos by `Node.proto`, through onnx.helper.
"""
import itertools
from dataclasses import dataclass

import numpy as np
from onnx import helper

# the reductions whose axes are an attribute before opset 18 and an input from it on
# (ReduceSum's became an input in opset 13)
_AXES_INPUT_SINCE = {"ReduceSum": 13, "ReduceMean": 18, "ReduceMax": 18, "ReduceMin": 18,
                     "ReduceLogSumExp": 18, "ReduceProd": 18}


@dataclass
class Node:
    """One node: its operator, input and output value names, attributes and node name."""
    op_type: str
    inputs: list
    outputs: list
    attributes: dict
    name: str

    def proto(self, rename):
        """The NodeProto, each value name passed through `rename` (a dict)."""
        return helper.make_node(self.op_type, [rename.get(i, i) for i in self.inputs],
                                [rename.get(o, o) for o in self.outputs], name=self.name,
                                **self.attributes)


class GraphBuilder:
    """Nodes in the order they are added, constants by name ({name: array}); `taken`
    holds the names fresh ones must avoid."""

    def __init__(self, opset, taken=()):
        self.opset = opset
        self.nodes = []
        self.constants = {}
        self._counter = itertools.count()
        self._constant_names = {}
        self._taken = set(taken)

    def fresh(self, hint):
        """A name not used before, nor among the names `taken` at the start (the traced
        values, parameters, inputs and outputs)."""
        name = f"{hint}_{next(self._counter)}"
        while name in self._taken:
            name = f"{hint}_{next(self._counter)}"
        self._taken.add(name)
        return name

    def node(self, op_type, inputs, out=None, outputs=1, **attributes):
        """Add one node reading `inputs` (names; None for an absent optional input) and
        return its output name, or its list of names when there are several: `out` names
        the output (a list names each) where the caller needs given names, else there are
        `outputs` new ones."""
        if isinstance(out, list):
            names = out
        else:
            names = [self.fresh(op_type) for _ in range(outputs)]
            if out is not None:
                names[0] = out
        inputs = ["" if i is None else i for i in inputs]
        while inputs and not inputs[-1]:
            inputs.pop()        # absent trailing optional inputs are left out, not named ""
        self.nodes.append(Node(op_type, inputs, names, attributes,
                               self.fresh(f"node_{op_type}")))
        return names[0] if len(names) == 1 else names

    def const(self, value, dtype):
        """The name of a constant holding `value` as `dtype` (equal constants share one)."""
        array = np.asarray(value, dtype=dtype, order="C")
        key = (array.dtype.str, array.shape, array.tobytes())
        name = self._constant_names.get(key)
        if name is None:
            name = self._constant_names[key] = self.fresh("const")
            self.constants[name] = array
        return name

    def ints(self, values):
        """A 1-D int64 constant (shapes, axes, pads)."""
        return self.const(list(values), np.int64)

    def reduce(self, op_type, x, axes, keepdims, out=None):
        """`op_type` (ReduceSum, ReduceMean ...) over `axes`, as this opset spells it."""
        if not axes:
            return self.node("Identity", [x], out)
        if self.opset >= _AXES_INPUT_SINCE[op_type]:
            return self.node(op_type, [x, self.ints(axes)], out, keepdims=int(keepdims))
        return self.node(op_type, [x], out, axes=list(axes), keepdims=int(keepdims))

    def reshape(self, x, shape, out=None):
        return self.node("Reshape", [x, self.ints(shape)], out)

    def cast(self, x, from_dtype, to_dtype):
        """`x` as `to_dtype` (itself when it is one already)."""
        if np.dtype(from_dtype) == np.dtype(to_dtype):
            return x
        return self.node("Cast", [x], to=helper.np_dtype_to_tensor_dtype(np.dtype(to_dtype)))
