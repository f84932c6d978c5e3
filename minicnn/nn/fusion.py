"""Folding an eval-mode BatchNorm into the convolution before it, as torch.nn.utils.fusion.

In eval mode BatchNorm2d is a fixed per-channel affine map of the conv's output,
y = (conv(x) + b − μ) · γ/√(var + ε) + β, so it folds into the conv's weight and bias:

    w' = w · γ/√(var + ε)        b' = (b − μ) · γ/√(var + ε) + β

and the network computes the same function with one op and one pass over the activations
fewer per pair. `fuse_conv_bn_eval(conv, bn)` folds one pair; `fuse_conv_bn(model, x)` folds
every pair of an eval-mode model found by running it once on `x`.
"""
import copy

import numpy as np

from .. import backend, grad_mode, trace_mode
from ..tensor import Tensor
from .conv import Conv2d
from .linear import Identity
from .normalization import BatchNorm2d
from .parameter import Parameter

__all__ = ["fuse_conv_bn", "fuse_conv_bn_eval", "fuse_conv_bn_weights"]


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """(w', b') as Parameters: the conv weight `conv_w` (out, in/groups, kh, kw) and bias
    `conv_b` (None: zero) with the BatchNorm's running mean and variance, eps, weight and
    bias (None: one and zero) folded in; computed in float64, returned in conv_w's dtype."""
    w = conv_w._data
    m = backend.xp_of(w)
    out_channels = w.shape[0]
    with backend.on_device_of(w):
        def channel(t, fill):
            return m.full(out_channels, fill, np.float64) if t is None else \
                t._data.astype(np.float64)

        factor = channel(bn_w, 1.0) / m.sqrt(channel(bn_rv, 0.0) + float(bn_eps))
        weight = w.astype(np.float64) * factor.reshape((-1,) + (1,) * (w.ndim - 1))
        bias = (channel(conv_b, 0.0) - channel(bn_rm, 0.0)) * factor + channel(bn_b, 0.0)
        return (Parameter(weight.astype(w.dtype), conv_w.requires_grad),
                Parameter(bias.astype(w.dtype), conv_w.requires_grad))


def fuse_conv_bn_eval(conv, bn):
    """A copy of the Conv2d `conv` whose weight and bias fold in the eval-mode BatchNorm2d
    `bn` that follows it: fused(x) equals bn(conv(x)). Neither argument changes."""
    op = "fuse_conv_bn_eval"
    if type(conv) is not Conv2d:                # a subclass may compute otherwise
        raise TypeError(f"{op}: conv must be an nn.Conv2d, got {type(conv).__name__}")
    if type(bn) is not BatchNorm2d:
        raise TypeError(f"{op}: bn must be an nn.BatchNorm2d, got {type(bn).__name__}")
    for name, module in (("conv", conv), ("bn", bn)):
        if module.training:
            raise ValueError(f"{op}: {name} must be in eval mode (in training mode BatchNorm "
                             f"normalises by each batch's own statistics), got "
                             f"{name}.training=True; call .eval()")
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError(f"{op}: bn has no running statistics to fold "
                         f"(track_running_stats={bn.track_running_stats})")
    if bn.num_features != conv.out_channels:
        raise ValueError(f"{op}: bn.num_features={bn.num_features} differs from "
                         f"conv.out_channels={conv.out_channels}")
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused


class _ConvBnTrace:
    """What one forward pass shows about the Conv2d and BatchNorm2d modules: how often each
    ran, each conv's output, the BatchNorm whose input it was, and how many ops read it."""

    def __init__(self):
        self.calls = {}                     # id(module) -> number of forward calls
        self.conv_outputs = {}              # id(output) -> [output, conv, bns, ops reading it]

    def conv_ran(self, conv, args, output):
        self.calls[id(conv)] = self.calls.get(id(conv), 0) + 1
        if isinstance(output, Tensor):
            self.conv_outputs[id(output)] = [output, conv, [], 0]

    def bn_ran(self, bn, args, output):
        self.calls[id(bn)] = self.calls.get(id(bn), 0) + 1
        if args and id(args[0]) in self.conv_outputs:
            self.conv_outputs[id(args[0])][2].append(bn)

    def op_ran(self, cls, inputs, params, result):
        for t in inputs:
            if t is not None and id(t) in self.conv_outputs:
                self.conv_outputs[id(t)][3] += 1

    def pairs(self, outputs):
        """(conv, bn) pairs where the conv's output went to that BatchNorm alone, neither
        module ran more than once, and the output is not among the model's outputs."""
        returned = {id(t) for t in outputs}
        for key, (_, conv, bns, readers) in self.conv_outputs.items():
            if (len(bns) == 1 and readers == 1 and key not in returned
                    and self.calls[id(conv)] == 1 and self.calls[id(bns[0])] == 1):
                yield conv, bns[0]


def _tensors_in(value):
    """The Tensors in a model's output: a Tensor, or tuples, lists and dicts of them."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors_in(item)]
    return []


def _replace(model, old, new):
    """Put `new` wherever `model` holds the submodule `old`."""
    for name, module in list(model.named_modules(remove_duplicate=False)):
        for child_name, child in list(module.named_children()):
            if child is old:
                setattr(module, child_name, new)


def fuse_conv_bn(model, *example_inputs):
    """A copy of the eval-mode `model` in which every Conv2d whose output goes only to a
    BatchNorm2d is replaced by the fused conv (fuse_conv_bn_eval) and that BatchNorm by
    Identity; `model` itself does not change.

    The pairs are found by running the copy once on `example_inputs` (under no_grad), which
    sees the pairs that a module's forward makes (in a Sequential or a residual block alike).
    Only nn.Conv2d and nn.BatchNorm2d themselves pair (a subclass may compute otherwise); a
    conv whose output something else also reads, or a module called more than once per
    forward, is left as it is.

        model.eval()
        fused = mc.nn.utils.fuse_conv_bn(model, images)
    """
    op = "fuse_conv_bn"
    if model.training:
        raise ValueError(f"{op}: model must be in eval mode (BatchNorm folds only its running "
                         f"statistics), got model.training=True; call model.eval()")
    training = [name for name, m in model.named_modules() if m.training]
    if training:
        raise ValueError(f"{op}: every submodule must be in eval mode, got "
                         f"{training[0]!r}.training=True; call model.eval()")
    fused = copy.deepcopy(model)
    trace = _ConvBnTrace()
    handles = [m.register_forward_hook(trace.conv_ran if type(m) is Conv2d else trace.bn_ran)
               for m in fused.modules() if type(m) in (Conv2d, BatchNorm2d)]
    try:
        with grad_mode.no_grad(), trace_mode.recording(trace.op_ran):
            outputs = fused(*example_inputs)
    finally:
        for handle in handles:
            handle.remove()
    for conv, bn in list(trace.pairs(_tensors_in(outputs))):
        _replace(fused, conv, fuse_conv_bn_eval(conv, bn))
        _replace(fused, bn, Identity())
    return fused
