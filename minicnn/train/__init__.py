"""Training: `fit` (progress bar, validation, history, checkpoints, resume, Ctrl-C),
`evaluate`, top-k accuracy, the confusion matrix and its plot, and a callback that records
each layer's gradient norm."""
from .checkpoint import load_checkpoint, save_checkpoint
from .confusion_plot import plot_confusion
from .gradient_norms import GradientNormRecorder
from .history import plot_history, write_history
from .interrupt import TrainingInterrupted
from .loop import Callback, evaluate, fit
from .metrics import accuracy, confusion_counts, topk_correct
from .nonfinite import NonFiniteError

__all__ = ["Callback", "GradientNormRecorder", "NonFiniteError", "TrainingInterrupted",
           "accuracy", "confusion_counts", "evaluate", "fit", "load_checkpoint", "plot_confusion", "plot_history",
           "save_checkpoint", "topk_correct", "write_history"]
