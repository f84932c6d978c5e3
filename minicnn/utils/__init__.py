"""Utilities: numerical gradient checking, activation checkpointing, model summaries
(parameters, multiply-accumulates, receptive fields)."""
from .checkpoint import checkpoint, checkpoint_sequential
from .gradcheck import GradcheckError, gradcheck, gradient_errors
from .receptive_field import receptive_field
from .summary import count_macs, summary

__all__ = ["GradcheckError", "checkpoint", "checkpoint_sequential", "count_macs", "gradcheck",
           "gradient_errors", "receptive_field", "summary"]
