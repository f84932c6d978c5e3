"""Size: the shape of a tensor, a tuple of ints with torch.Size's extras.

`Tensor.shape` and `Tensor.size()` return one, so `x.shape.numel()` and `x.shape[1:]`
(still a Size) work as in PyTorch, and it equals the plain tuple of the same ints.
"""
import math


class Size(tuple):
    """A tuple of dimension sizes (torch.Size): slices and sums stay Sizes; `numel()` is
    the number of elements a tensor of this shape holds."""

    __slots__ = ()

    def numel(self):
        return math.prod(self)

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __mul__(self, count):
        return Size(tuple.__mul__(self, count))

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))

    def __repr__(self):
        return f"minicnn.Size({list(self)})"
