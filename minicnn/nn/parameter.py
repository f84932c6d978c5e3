"""Parameter: a Tensor that a Module registers as one of its learnable weights."""
import copy

import numpy as np

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
