"""Tracing a forward pass: the Functions a model applies, in order, with what flows between them.

`trace(model, inputs)` runs `model(*inputs)` once under `trace_mode.recording` and no_grad,
and returns a `Trace`: one `Step` per Function applied (its class, parameters, and the
`Value`s it reads and writes) and the `Value`s of the model's inputs and outputs.

Values are told apart by the identity of their arrays: every op output is a new array,
except for ops that write into their input (`inplace=True`), whose output array is the
input's, now holding the new values, and ops that hand their input through unchanged (a
cast to the same dtype, a hook), whose output array is a named one. So a tensor's value is
the last name its array was given, views that share memory included. Tensor's in-place
arithmetic (add_, sub_, mul_, div_, and +=, -=, *=, /= through them) runs as its Function
with inplace=True while a trace records; any other write into a traced array outside a
Function (fill_, copy_, `x[i] = v` ...) is refused, since the trace could not see it. An
array the trace has not seen is a parameter or buffer of the model (named by its
state_dict key), or a constant: a scalar operand, a mask made by an op, or an array the
model computed without a Function (a comparison, `argmax`); `exporter` runs the model a
second time on other values and refuses the export when such a constant changes with the
input.
"""
import itertools
from dataclasses import dataclass, field

import numpy as np

from .. import backend, trace_mode
from ..grad_mode import no_grad
from ..tensor import Tensor
from .registry import ExportError


@dataclass(frozen=True)
class Value:
    """A tensor of the graph: its name, shape and dtype."""
    name: str
    shape: tuple
    dtype: np.dtype


@dataclass
class Step:
    """One Function applied: `inputs` are the Values of its tensor inputs (None where the
    input was absent), `outputs` those of what it returned; `arrays` names the Value of
    every array among its parameters (an embedding's indices, a mask), by the array's id."""
    function: type
    params: dict
    inputs: tuple
    outputs: tuple
    arrays: dict = field(default_factory=dict)

    @property
    def op(self):
        return self.function.__name__

    def array(self, array):
        """The Value of `array`, one of this step's parameters."""
        return self.arrays[id(array)]


@dataclass
class Trace:
    """What one forward pass did: the steps in order, the Values of the model's inputs and
    outputs, the parameters and buffers it read ({name: array}) and the constants it used
    ({name: array}, in the order they were met)."""
    steps: list
    inputs: list
    outputs: list
    parameters: dict
    constants: dict


class _Recorder:
    """The trace_mode recorder: names arrays as the Functions make them."""

    def __init__(self, named_tensors):
        self.names = {}            # id(array) -> Value
        self.alive = []            # every array named, so that no id is reused meanwhile
        self.parameters = {}       # state_dict name -> array, as read
        self.constants = {}
        self.steps = []
        self._known = {id(t._data): (name, t._data) for name, t in named_tensors}
        self._counter = itertools.count()

    def name(self, array, name):
        value = Value(name, tuple(array.shape), np.dtype(array.dtype))
        self.names[id(array)] = value
        self.alive.append(array)
        return value

    def value_of(self, array):
        """The Value of an array read by an op: named already, else a parameter or buffer of
        the model, else a new constant."""
        value = self.names.get(id(array))
        if value is not None:
            return value
        known = self._known.get(id(array))
        if known is not None:
            self.parameters[known[0]] = np.asarray(backend.to_device(array, "cpu"))
            return self.name(array, known[0])
        name = f"constant_{len(self.constants)}"
        self.constants[name] = np.array(backend.to_device(array, "cpu"))
        return self.name(array, name)

    def write_in_place(self, tensor, op):
        """Refuse `op` writing, outside a Function, into memory the trace has named (an
        input, an op's result, a parameter read, a constant): the trace would go on naming
        the old values, and the exported graph would compute something else."""
        array = tensor._data
        shares = backend.xp_of(array).may_share_memory
        if any(type(named) is type(array) and shares(array, named) for named in self.alive):
            raise ExportError(f"export: {op} writes in place into a tensor of the traced "
                              f"forward (shape {tuple(tensor.shape)}), which the trace cannot "
                              f"record; use add_, sub_, mul_, div_ (or +=, -=, *=, /=), an op "
                              f"with inplace=True, or the out-of-place form")

    def _param_arrays(self, params):
        """{id: Value} of the arrays among `params` (directly or in tuples and lists)."""
        arrays = {}
        pending = list(params.values())
        while pending:
            item = pending.pop()
            if isinstance(item, (tuple, list)):
                pending.extend(item)
            elif isinstance(item, np.ndarray) or backend.is_cupy_array(item):
                arrays[id(item)] = self.value_of(item)
        return arrays

    def __call__(self, function, inputs, params, result):
        values = tuple(None if t is None else self.value_of(t._data) for t in inputs)
        arrays = self._param_arrays(params)
        outs = result if isinstance(result, tuple) else (result,)
        inplace = bool(params.get("inplace", False))
        if not inplace and all(id(o._data) in self.names for o in outs):
            return  # its outputs are arrays already named: it handed them through
        step = next(self._counter)
        names = [f"{function.__name__}_{step}" + (f"_{i}" if len(outs) > 1 else "")
                 for i in range(len(outs))]
        outputs = tuple(self.name(o._data, n) for o, n in zip(outs, names))
        self.steps.append(Step(function, dict(params), values, outputs, arrays))


def _named_tensors(model):
    """(state_dict name, tensor) of every parameter and buffer of `model` (none for a plain
    function)."""
    if not hasattr(model, "named_parameters"):
        return []
    named = list(model.named_parameters()) + list(model.named_buffers())
    return [(name, t) for name, t in named if t is not None]


def _flat_outputs(output):
    if isinstance(output, Tensor):
        return [output]
    if isinstance(output, (tuple, list)) and output and \
            all(isinstance(o, Tensor) for o in output):
        return list(output)
    raise TypeError(f"export: the model must return a Tensor or a tuple of Tensors, got "
                    f"{type(output).__name__}")


def trace(model, inputs, input_names):
    """The Trace of `model(*inputs)`, run under no_grad; `input_names` name the inputs."""
    recorder = _Recorder(_named_tensors(model))
    input_values = [recorder.name(x._data, name) for x, name in zip(inputs, input_names)]
    with no_grad(), trace_mode.recording(recorder):
        output = model(*inputs)
    outputs = []
    for i, tensor in enumerate(_flat_outputs(output)):
        value = recorder.names.get(id(tensor._data))
        if value is None:
            raise ValueError(f"export: output {i} of the model (shape {tuple(tensor.shape)}) "
                             f"was not computed by minicnn's ops from the inputs, so it cannot "
                             f"be traced")
        outputs.append(value)
    return Trace(recorder.steps, input_values, outputs, recorder.parameters,
                 recorder.constants)
