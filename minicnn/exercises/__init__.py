"""Exercises a learner can check: write a function with the signature an exercise gives (the
forward or backward pass of a convolution, im2col and col2im, pooling, batch normalisation,
LRN, softmax) in plain NumPy, and `minicnn check NAME FILE` compares it with the engine on
random float64 cases.

`EXERCISES` maps each name to its Exercise (signature, description with the layout
conventions, cases, the engine's answer); `check(exercise, fn, seed)` returns a Result that
says whether fn passed, and if not, which output of which case is wrong and by how much.
"""
from .catalog import EXERCISES, Exercise
from .checker import Failure, Result, check

__all__ = ["EXERCISES", "Exercise", "Failure", "Result", "check"]
