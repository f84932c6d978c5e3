"""Utilities: numerical gradient checking, activation checkpointing, model summaries."""
from .checkpoint import checkpoint, checkpoint_sequential
from .gradcheck import GradcheckError, gradcheck, gradient_errors
from .summary import summary

__all__ = ["GradcheckError", "checkpoint", "checkpoint_sequential", "gradcheck", "gradient_errors",
           "summary"]
