"""Dropout and Dropout2d: active in training mode only, from minicnn's seeded generator."""
from .. import functional as F
from ..functional import _validate as validate
from .module import Module

__all__ = ["Dropout", "Dropout2d"]


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        validate.probability(type(self).__name__, "p", p)
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability p and scale the rest by 1/(1 − p) (training)."""

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input (training)."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)
