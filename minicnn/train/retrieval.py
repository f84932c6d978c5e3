"""Retrieval metrics of paired embeddings (CLIP's image→text and text→image recall@k).

Row i of a similarity matrix is a query whose match is column i. Its recall@k counts
whether the match ranks among the k best-scoring columns. Ties are broken at random, in
expectation: a match with h columns scoring higher and t others scoring the same counts
clip((k − h) / (t + 1), 0, 1), so a matrix of equal scores gets the chance rate k/N and
no ordering of tied columns is favoured.
"""
import numbers

import numpy as np

from .. import backend

__all__ = ["recall_at_k", "retrieval_recalls"]


def _array(values):
    """A float64 NumPy array of an array or a Tensor (on any device)."""
    if hasattr(values, "_data"):
        values = backend.to_device(values.detach()._data, "cpu")
    return np.asarray(values, dtype=np.float64)


def _unit_rows(features):
    data = _array(features)
    return data / np.maximum(np.linalg.norm(data, axis=1, keepdims=True), 1e-12)


def _matrix(similarity):
    scores = _array(similarity)
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1] or scores.shape[0] == 0:
        raise ValueError(f"recall_at_k: similarity must be a square (N, N) matrix of N > 0 "
                         f"queries against their N candidates, got shape {scores.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("recall_at_k: similarity holds NaN or inf")
    return scores


def recall_at_k(similarity, k):
    """The mean recall@k of the rows of `similarity` (N, N) (an array or Tensor), query i
    matching candidate i; ties broken at random in expectation (see the module)."""
    scores = _matrix(similarity)
    n = scores.shape[0]
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= n:
        raise ValueError(f"recall_at_k: k={k!r} must be an integer from 1 to the number of "
                         f"candidates, {n}")
    match = np.diag(scores)[:, None]
    higher = (scores > match).sum(axis=1)
    tied = (scores == match).sum(axis=1) - 1
    return float(np.clip((k - higher) / (tied + 1), 0.0, 1.0).mean())


def retrieval_recalls(image_features, text_features, ks=(1, 5)):
    """{"image_to_text_R@k": …, "text_to_image_R@k": …} for each k, from the (N, D)
    features of N pairs (cosine similarity: the features are normalised here)."""
    similarity = _unit_rows(image_features) @ _unit_rows(text_features).T
    result = {}
    for direction, matrix in (("image_to_text", similarity), ("text_to_image", similarity.T)):
        for k in ks:
            result[f"{direction}_R@{k}"] = recall_at_k(matrix, k)
    return result
