"""Parameter: a Tensor that a Module registers as one of its learnable weights;
UninitializedParameter: one whose shape a lazy module learns from its first input."""
import copy

import numpy as np

from .. import backend
from ..dtypes import get_default_dtype
from ..tensor import Tensor, as_array
from ..version_counter import counter_of


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and that `Module.__setattr__` registers.

    `Parameter(t)` shares `t`'s array and version counter (no copy), as torch.nn.Parameter
    shares storage; `Parameter()` is an empty float tensor. The results of ops on a
    Parameter are plain Tensors.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            array = np.empty((0,), dtype=get_default_dtype())
        elif isinstance(data, Tensor):
            array = data._data
        else:
            array = as_array(data)
        self._init_leaf(array, requires_grad)
        if isinstance(data, Tensor):
            self._version_counter = counter_of(data)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(self._data.copy(), self.requires_grad)
        memo[id(self)] = result
        if self.grad is not None:
            result.grad = copy.deepcopy(self.grad, memo)
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(Tensor._make(data), requires_grad)


class UninitializedParameter(Parameter):
    """A Parameter with no values yet (torch.nn.UninitializedParameter): a lazy module
    (LazyLinear, LazyConv2d) makes its weights so, and `materialize(shape)` gives one its
    memory when the first input shows the shape. The object stays the same (it becomes a
    plain Parameter), so an optimizer built before the first forward updates it. Until
    then it holds an empty array of its dtype on its device, which `Module.to` moves."""

    __slots__ = ()

    def __init__(self, requires_grad=True, device=None, dtype=None):
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        self._init_leaf(backend.xp_for(device or "cpu").empty((0,), dtype=dtype),
                        requires_grad)

    def materialize(self, shape, device=None, dtype=None):
        """Give the parameter uninitialised memory of `shape` (on its device, in its dtype
        unless given) and make it a plain Parameter."""
        device = backend.device_of(self._data) if device is None else backend.Device(device)
        dtype = self._data.dtype if dtype is None else np.dtype(dtype)
        xp = backend.xp_for(device)
        if device.type == "cpu":
            self._data = xp.empty(tuple(shape), dtype=dtype)
        else:
            with xp.cuda.Device(device.index):
                self._data = xp.empty(tuple(shape), dtype=dtype)
        self.__class__ = Parameter

    def __repr__(self):
        return "<UninitializedParameter>"

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = UninitializedParameter(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return (UninitializedParameter, (self.requires_grad, None, self.dtype))
