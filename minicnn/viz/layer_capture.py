"""Catching what a submodule outputs during a forward pass of the model."""
import contextlib

from ..tensor import Tensor


class LayerCapture:
    """The outputs of one submodule in the forward passes run inside `capturing`: for each
    call, the output tensor and a copy of its values taken as the layer returned (a later
    in-place op, such as ReLU(inplace=True), may overwrite the tensor itself). When the
    output is in the graph, its gradient is kept too (its `.grad` after backward)."""

    def __init__(self, fn, name):
        self.fn = fn
        self.name = name
        self.calls = []

    def record(self, output):
        if not isinstance(output, Tensor):
            raise ValueError(f"{self.fn}: layer {self.name!r} returns "
                             f"{type(output).__name__}, not a tensor")
        if output.requires_grad:
            output.retain_grad()
        self.calls.append((output, Tensor._make(output._data.copy())))

    def only_call(self):
        """(output, values) of the one call of the pass; ValueError when the layer did not
        run or ran more than once (its output would be ambiguous)."""
        if len(self.calls) != 1:
            ran = "did not run" if not self.calls else f"ran {len(self.calls)} times"
            raise ValueError(f"{self.fn}: layer {self.name!r} {ran} in the forward pass; "
                             f"choose a layer that runs once")
        return self.calls[0]


@contextlib.contextmanager
def capturing(fn, layers):
    """Within the block, each forward call of the modules in `layers` ({name: module}) is
    recorded in the LayerCapture of that name; yields {name: LayerCapture}. The hooks are
    removed on the way out."""
    captures = {name: LayerCapture(fn, name) for name in layers}
    handles = []
    try:
        for name, module in layers.items():
            handles.append(module.register_forward_hook(
                lambda module, args, output, capture=captures[name]: capture.record(output)))
        yield captures
    finally:
        for handle in handles:
            handle.remove()
