"""Training: `fit` (progress bar, validation, history, checkpoints, resume), `evaluate`,
top-k accuracy."""
from .checkpoint import load_checkpoint, save_checkpoint
from .history import plot_history, write_history
from .loop import Callback, evaluate, fit
from .metrics import accuracy, topk_correct
from .nonfinite import NonFiniteError

__all__ = ["Callback", "NonFiniteError", "accuracy", "evaluate", "fit", "load_checkpoint",
           "plot_history", "save_checkpoint", "topk_correct", "write_history"]
