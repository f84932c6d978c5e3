"""Lazy modules: LazyLinear and LazyConv2d learn their input size from the first input, as
PyTorch's do.

Until then their weights are UninitializedParameters. A forward pre-hook, run once, reads
the input's size, materializes the weights, initialises them as the eager module would, and
turns the module into that module (a LazyLinear becomes a Linear). Loading a state_dict
into a module that is still lazy materializes the weights with the loaded shapes first.
"""
from .. import grad_mode
from ..functional import _validate as validate
from .conv import Conv2d, _ConvNd
from .linear import Linear
from .module import Module
from .parameter import UninitializedParameter

__all__ = ["LazyConv2d", "LazyLinear", "LazyModuleMixin"]


class LazyModuleMixin:
    """What LazyLinear and LazyConv2d share: the hook that infers the shapes on the first
    call, and loading into a module that has not seen an input. A subclass defines
    `initialize_parameters(input)` and `_infer_from_weight(shape)` and sets
    `cls_to_become`."""

    cls_to_become = None

    def _watch_first_input(self):
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self):
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values())

    def reset_parameters(self):
        """The eager module's initialisation, once the weights have their shape (not while
        the eager module's constructor runs on the placeholder size 0)."""
        if not self.has_uninitialized_params() and self.weight.numel():
            super().reset_parameters()

    def _finish_initialization(self):
        self._initialize_hook.remove()
        del self._initialize_hook
        self.__class__ = self.cls_to_become

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for name, param in self._parameters.items():
            if isinstance(param, UninitializedParameter) and prefix + name in state_dict:
                param.materialize(tuple(state_dict[prefix + name].shape))
        if not isinstance(self.weight, UninitializedParameter):
            self._infer_from_weight(tuple(self.weight.shape))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        if not self.has_uninitialized_params():
            self._finish_initialization()


def _infer_parameters(module, args):
    with grad_mode.no_grad():
        module.initialize_parameters(*args)
    module._finish_initialization()


class LazyLinear(LazyModuleMixin, Linear):
    """Linear whose in_features is the last size of the first input."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features = 0
        self.out_features = validate.integer("LazyLinear", "out_features", out_features, 0)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self._watch_first_input()

    def initialize_parameters(self, input):
        if input.ndim == 0:
            raise ValueError("LazyLinear: the input needs at least one dimension to give "
                             "in_features")
        self.in_features = int(input.shape[-1])
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()

    def _infer_from_weight(self, shape):
        self.in_features = shape[1]


class LazyConv2d(LazyModuleMixin, Conv2d):
    """Conv2d whose in_channels is the channel count of the first input."""

    cls_to_become = Conv2d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        _ConvNd.__init__(self, 0, out_channels, kernel_size, stride, padding, dilation, False,
                         0, groups, bias, padding_mode, device, dtype)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._watch_first_input()

    def initialize_parameters(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"LazyConv2d: expected a 3-D (unbatched) or 4-D (batched) input "
                             f"to give in_channels, got shape {tuple(input.shape)}")
        in_channels = int(input.shape[1] if input.ndim == 4 else input.shape[0])
        if in_channels % self.groups:
            raise ValueError(f"LazyConv2d: the input has {in_channels} channels, which "
                             f"groups={self.groups} does not divide")
        self.in_channels = in_channels
        self.weight.materialize((self.out_channels, in_channels // self.groups,
                                 *self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()

    def _infer_from_weight(self, shape):
        self.in_channels = shape[1] * self.groups
