"""Classification metrics."""
import numpy as np

from .. import backend


def topk_correct(output, target, topk=(1,)):
    """For each k in `topk`, how many rows of `output` (N, C) have `target` among their k
    largest scores."""
    scores = backend.to_device(output.detach()._data, "cpu")
    labels = backend.to_device(target._data, "cpu")
    kmax = min(max(topk), scores.shape[1])
    best = np.argpartition(-scores, kmax - 1, axis=1)[:, :kmax]          # (N, kmax) unordered
    order = np.take_along_axis(scores, best, axis=1).argsort(axis=1)[:, ::-1]
    ranked = np.take_along_axis(best, order, axis=1)                      # (N, kmax) by score
    hits = ranked == labels[:, None]
    return [int(hits[:, :min(k, kmax)].any(axis=1).sum()) for k in topk]


def accuracy(output, target, topk=(1,)):
    """Top-k accuracies (fractions) of logits `output` (N, C) against class indices."""
    n = max(len(target), 1)
    return [c / n for c in topk_correct(output, target, topk)]


def confusion_counts(output, target, num_classes):
    """(num_classes, num_classes) int64 counts: row = true class, column = the class with the
    largest score in `output` (N, C)."""
    predicted = np.argmax(backend.to_device(output.detach()._data, "cpu"), axis=1)
    labels = backend.to_device(target._data, "cpu")
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts
