"""Dropout: zero elements with probability p in training, scale the rest by 1/(1 − p);
with `inplace=True` the input itself is scaled, as in PyTorch."""
from ..autograd import Function
from ..backend import on_input_device
from ..random import generator
from . import _validate as validate
from ._common import require_tensor, xp


class Dropout(Function):
    @staticmethod
    def forward(ctx, a, mask, inplace=False):
        ctx.save_for_backward(mask)
        return xp(a).multiply(a, mask, out=a if inplace else None)

    @staticmethod
    def backward(ctx, g):
        """da = g·mask (the mask already holds 0 or 1/(1 − p))."""
        (mask,) = ctx.saved_arrays
        return g * mask


@on_input_device
def dropout_mask(input, p, shape):
    """A float mask of `shape` on input's device: 0 with probability p, else 1/(1 − p), from
    minicnn's generator."""
    keep = generator(input.device).random(shape, dtype=input.dtype
                                          if input.dtype.itemsize >= 4 else "float32") >= p
    return keep.astype(input.dtype) * input.dtype.type(1 / (1 - p) if p < 1 else 0)


def dropout(input, p=0.5, training=True, inplace=False):
    require_tensor("dropout", "input", input)
    p = validate.probability("dropout", "p", p)
    if not training or p == 0:
        return input
    if p == 1 and not inplace:
        return input * 0
    return Dropout.apply(input, mask=dropout_mask(input, p, input.shape), inplace=bool(inplace))
