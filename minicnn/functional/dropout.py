"""Dropout: zero elements with probability p in training, scale the rest by 1/(1 − p)."""
from ..autograd import Function
from ..random import generator
from . import _validate as validate
from ._common import require_tensor


class Dropout(Function):
    @staticmethod
    def forward(ctx, a, mask):
        ctx.save_for_backward(mask)
        return a * mask

    @staticmethod
    def backward(ctx, g):
        """da = g·mask (the mask already holds 0 or 1/(1 − p))."""
        (mask,) = ctx.saved_arrays
        return g * mask


def dropout_mask(input, p, shape):
    """A float mask of `shape`: 0 with probability p, else 1/(1 − p), from minicnn's generator."""
    keep = generator(input.device).random(shape, dtype=input.dtype
                                          if input.dtype.itemsize >= 4 else "float32") >= p
    return keep.astype(input.dtype) * input.dtype.type(1 / (1 - p))


def dropout(input, p=0.5, training=True, inplace=False):
    require_tensor("dropout", "input", input)
    p = validate.probability("dropout", "p", p)
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0
    return Dropout.apply(input, mask=dropout_mask(input, p, input.shape))
