"""Receptive fields: how many input pixels one position of a layer's output depends on.

Read from the input towards the output, the recurrence F(i) = (F(i+1) − 1)·s + k becomes,
for the receptive field r and the jump j (the distance, in input pixels, between two
neighbouring positions of a feature map), per axis:

    r_out = r_in + (k_eff − 1)·j_in,    k_eff = d·(k − 1) + 1 (dilation d)
    j_out = j_in · s

(Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural Networks",
Distill 2019). Three stacked 3×3 convolutions see 7×7 pixels, as one 7×7 does (Simonyan &
Zisserman 2015, §2.3); ResNet's stem, a 7×7/2 convolution then a 3×3/2 max-pool, sees 11.

How it is followed. One forward pass (with the graph recorded) carries a field — r and j
per axis, the grid (the spatial size of the feature map it belongs to) and whether the
tensor already depends on the whole input — from the input to every module output:

- a module with a spatial rule (Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, adaptive
  pooling, Linear, MultiheadAttention) maps the field of its input to its output's;
- any other module's output, and any input produced by functional ops between modules
  (residual adds, mc.cat, flatten, reshape, ...), takes the merge of the fields of the
  tensors it was computed from, found by walking its autograd graph (Tensor.grad_fn, then
  each Function's next_edges) back to tensors whose field is known. A merge sees what any of
  its inputs sees: the largest r, as for the concatenation of Inception branches or a
  residual sum, and it depends on the whole input when any of its inputs does;
- scaled-dot-product attention met on such a walk mixes every token, as
  MultiheadAttention does;
- a functional op that changes the spatial size between modules (F.max_pool2d,
  F.interpolate, ...) is seen only through that change, as an adaptive pooling from the
  grid recorded to the size found: stride = the size ratio, kernel = the widest window.
  Four-dimensional tensors are read as (N, C, H, W). A segment run without a graph (a
  checkpointed one runs under no_grad) takes the last field recorded before it.

Recording the graph costs the memory of one training forward pass; the summary runs at
batch 1, and the fields do not depend on the batch.

Convention. Local operations follow the recurrence above without capping r at the input
size, as the literature does (ResNet-18's 435 pixels at 224×224 count the zero padding).
Global operations — global or 1×1-adaptive pooling, a Linear on flattened features,
attention over the tokens — make every output depend on the whole input; they leave the
local r as it was and mark the field as global, and a global field is reported as
max(r, input size) per axis: the whole input, or more where the local r already exceeds it.
So a squeeze-and-excitation branch makes a network global without changing its local r,
and a ViT's tokens see the whole image after the first attention.

`receptive_field(model, input_size)` (in minicnn/nn/summary.py, whose traced forward pass
carries the fields) is the receptive field of the final spatial output:
the input of the last operation that collapses a grid larger than 1×1 to a single position
(global pooling, the first Linear on flattened features), or the model's output where no
operation does (a fully convolutional network). Inputs that are not images (N, C, H, W)
have no receptive field (None).
"""
import math
from collections import namedtuple
from fractions import Fraction

from ..backprop import AccumulateGrad
from ..functional.attention import ScaledDotProductAttention
from ..tensor import Tensor
from .attention import MultiheadAttention
from .conv import Conv2d, ConvTranspose2d, _pair
from .linear import Linear
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d

__all__ = ["ReceptiveFields"]

Field = namedtuple("Field", "size jump grid whole")
Field.__doc__ = ("Per axis (h, w): receptive field `size` and `jump` in input pixels, `grid` "
                 "the feature map's spatial size; `whole`: depends on the whole input.")

_ADAPTIVE_POOLS = (AdaptiveAvgPool2d, AdaptiveMaxPool2d)


def _window(field, kernel, stride, grid):
    """A window of `kernel` positions every `stride` positions, per axis."""
    return field._replace(size=tuple(r + (k - 1) * j for r, k, j in
                                     zip(field.size, kernel, field.jump)),
                          jump=tuple(j * s for j, s in zip(field.jump, stride)), grid=grid)


def _adaptive(field, grid):
    """Adaptive pooling from field.grid to `grid`: per axis, windows of the widest bin
    (⌈(i+1)·n/m⌉ − ⌊i·n/m⌋ positions) every n/m positions; a grid collapsing to 1×1 from a
    larger one is global instead."""
    if all(m == 1 for m in grid) and any(n > 1 for n in field.grid):
        return field._replace(grid=grid, whole=True)
    kernel, stride = [], []
    for n, m in zip(field.grid, grid):
        kernel.append(max(-(-(i + 1) * n // m) - i * n // m for i in range(m)))
        stride.append(n // m if n % m == 0 else Fraction(n, m))
    return _window(field, kernel, stride, grid)


def _merge(fields):
    """What a tensor computed from several sees: the largest r per axis, the jump of the
    largest grid (a broadcast 1×1 input, such as an excitation, has none), global when any
    input is."""
    fields = [f for f in fields if f is not None]
    if not fields:
        return None
    grid = tuple(max(f.grid[a] for f in fields) for a in range(2))
    jump = tuple(max(f.jump[a] for f in fields if f.grid[a] == grid[a]) for a in range(2))
    return Field(tuple(max(f.size[a] for f in fields) for a in range(2)), jump, grid,
                 any(f.whole for f in fields))


def _spatial(tensor):
    """(H, W) of an (N, C, H, W) tensor, else None."""
    return tuple(tensor.shape[2:]) if tensor.ndim == 4 else None


def tensors_in(value):
    """The Tensors in a module's output or arguments (nested tuples, lists, dicts)."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in tensors_in(item)]
    return []


def attention_inputs(args, kwargs):
    """(query, key, value) of a MultiheadAttention call, given by position or by name."""
    names = ("query", "key", "value")
    return [args[i] if i < len(args) else kwargs[name] for i, name in enumerate(names)]


class ReceptiveFields:
    """Carries a Field from the input image (N, C, H, W) through one recorded forward pass:
    `after_module` at every module's forward hook (children before parents), `reported`
    to read a field as pixels, `final` once the forward is done."""

    def __init__(self, image):
        self.image_size = tuple(image.shape[2:])
        self._tensors = {}     # id(tensor) -> (tensor, field); the tensor kept so ids stay unique
        self._nodes = {}       # (id(node), output index) -> (node, field) of recorded outputs
        self._walked = {}      # id(node) -> (node, field) of nodes between modules
        self._last = None
        self._collapsed = None
        self._record([image], Field((1, 1), (1, 1), self.image_size, False))

    def after_module(self, module, args, kwargs, output):
        """Record and return the field of `output` (None where it has no spatial origin)."""
        outputs = tensors_in(output)
        if not outputs:
            return None
        inputs = tensors_in(args) + tensors_in(kwargs)
        if isinstance(module, MultiheadAttention):   # every token sees every token
            field = _merge(self.field_of(t) for t in attention_inputs(args, kwargs))
            field = field and field._replace(whole=True)
        elif isinstance(module, (Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, Linear)
                        + _ADAPTIVE_POOLS) and inputs:
            field = self._local_rule(module, inputs[0], outputs[0])
        else:
            field = self.field_of(outputs[0])
        grid = _spatial(outputs[0])
        if field is not None and grid is not None and grid != field.grid:
            field = self._resized(field, grid)
        self._record(outputs, field)
        return field

    def _local_rule(self, module, input, output):
        field = self.field_of(input)
        if field is None:
            return None
        grid = _spatial(input)
        if grid is not None and grid != field.grid:
            field = self._resized(field, grid)
        if isinstance(module, Linear):
            if input.ndim > 2:             # applied per position (tokens, channels-last)
                return field
            if any(n > 1 for n in field.grid):
                self._collapsed = field
            return field._replace(grid=(1, 1), whole=True)
        out_grid = _spatial(output) or field.grid
        if isinstance(module, _ADAPTIVE_POOLS):
            return self._resized(field, out_grid)
        kernel = _pair(module.kernel_size)
        dilation = _pair(getattr(module, "dilation", 1))
        kernel = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
        stride = _pair(module.stride)
        if isinstance(module, ConvTranspose2d):   # an output sees ⌈k/s⌉ inputs, s times denser
            kernel = [-(-k // s) for k, s in zip(kernel, stride)]
            stride = [Fraction(1, s) for s in stride]
        return _window(field, kernel, stride, out_grid)

    def _resized(self, field, grid):
        """The field after the grid becomes `grid` (adaptive pooling, or a functional op
        between modules seen through the size it leaves)."""
        if all(m == 1 for m in grid) and any(n > 1 for n in field.grid):
            self._collapsed = field
        return _adaptive(field, grid)

    def field_of(self, tensor):
        """The field of `tensor`: recorded, or the merge found by walking its graph back to
        recorded tensors; where there is no graph (a segment run under no_grad, such as a
        checkpointed one), the last field recorded."""
        known = self._tensors.get(id(tensor))
        if known is not None and known[0] is tensor:
            return known[1]
        if tensor.grad_fn is None:
            return self._last if tensor.dtype.kind == "f" else None
        known = self._nodes.get((id(tensor.grad_fn), tensor.output_index))
        if known is not None:
            return known[1]
        return self._walk(tensor.grad_fn)

    def _edge_field(self, edge):
        node, index = edge
        if isinstance(node, AccumulateGrad):   # a leaf: the image, or a parameter (no field)
            known = self._tensors.get(id(node.leaf))
            return known[1] if known is not None and known[0] is node.leaf else None
        known = self._nodes.get((id(node), index))
        return known[1] if known is not None else self._walked[id(node)][1]

    def _pending(self, edge):
        node, index = edge
        return not isinstance(node, AccumulateGrad) and (id(node), index) not in self._nodes \
            and id(node) not in self._walked

    def _walk(self, start):
        """Merge of the fields that `start` was computed from, every unknown node on the way
        visited once (iteratively: the chains between modules can be long)."""
        stack = [start]
        while stack:
            node = stack[-1]
            if id(node) in self._walked:
                stack.pop()
                continue
            edges = [e for e in node.next_edges if e is not None]
            pending = [e[0] for e in edges if self._pending(e)]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            field = _merge(self._edge_field(e) for e in edges)
            if field is not None and isinstance(node, ScaledDotProductAttention):
                field = field._replace(whole=True)
            self._walked[id(node)] = (node, field)
        return self._walked[id(start)][1]

    def _record(self, tensors, field):
        for t in tensors:
            self._tensors[id(t)] = (t, field)
            if t.grad_fn is not None:
                self._nodes[(id(t.grad_fn), t.output_index)] = (t.grad_fn, field)
        if field is not None:
            self._last = field

    def reported(self, field):
        """A field in input pixels: an int, (height, width) where they differ, or None."""
        if field is None:
            return None
        size = [math.ceil(r) for r in field.size]
        if field.whole:
            size = [max(r, n) for r, n in zip(size, self.image_size)]
        return size[0] if size[0] == size[1] else tuple(size)

    def final(self, output):
        """The receptive field of the final spatial output (see the module docstring)."""
        if self._collapsed is not None:
            return self.reported(self._collapsed)
        outputs = tensors_in(output)
        return self.reported(self.field_of(outputs[0])) if outputs else None
