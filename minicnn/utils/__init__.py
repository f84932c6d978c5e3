"""`mc.utils`: numerical gradient checking, activation checkpointing, model summaries
(parameters, multiply-accumulates, receptive fields), gathered under one name as
torch.utils does; `mc.utils.data` is torch.utils.data's namespace (DataLoader, Dataset ...).

Each lives in the layer it belongs to and is only re-exported here: gradient checking
(minicnn/gradcheck.py) works on tensors, activation checkpointing
(minicnn/activation_checkpoint.py) is an autograd Function, and the summaries
(minicnn/nn/summary.py) trace Modules. So this module sits above nn, and code below nn
imports those modules, never this one.
"""
from ..activation_checkpoint import checkpoint, checkpoint_sequential
from ..gradcheck import GradcheckError, compare_gradients, gradcheck, gradient_errors
from ..nn.summary import count_macs, receptive_field, summary
from . import data

__all__ = ["GradcheckError", "checkpoint", "checkpoint_sequential", "compare_gradients",
           "count_macs", "data", "gradcheck", "gradient_errors", "receptive_field", "summary"]
