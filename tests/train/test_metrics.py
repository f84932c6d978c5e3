"""accuracy and topk_correct against cases worked out by hand."""
import numpy as np
import pytest

import minicnn as mc
from minicnn.train import accuracy, topk_correct

# 4 samples, 6 classes; the rank of the true class (1 = best) is written beside each row
SCORES = np.array([
    [0.9, 0.1, 0.0, 0.3, 0.2, 0.4],   # label 0: rank 1
    [0.1, 0.2, 0.6, 0.5, 0.3, 0.0],   # label 3: rank 2
    [0.7, 0.1, 0.6, 0.5, 0.4, 0.3],   # label 1: rank 6
    [0.2, 0.8, 0.1, 0.0, 0.4, 0.3],   # label 4: rank 2
], dtype=np.float32)
LABELS = np.array([0, 3, 1, 4])
RANKS = [1, 2, 6, 2]


def _t(scores=SCORES, labels=LABELS):
    return mc.tensor(scores), mc.tensor(np.asarray(labels, dtype=np.int64))


@pytest.mark.parametrize("k", [1, 2, 3, 5, 6, 10])
def test_topk_correct_counts_true_labels_among_the_k_best(k):
    expected = sum(rank <= k for rank in RANKS)
    assert topk_correct(*_t(), topk=(k,)) == [expected]


def test_several_k_at_once_in_the_order_given():
    assert topk_correct(*_t(), topk=(5, 1, 2)) == [3, 1, 3]
    assert accuracy(*_t(), topk=(1, 2, 6)) == [0.25, 0.75, 1.0]


def test_top1_matches_argmax():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((50, 7)).astype(np.float32)
    labels = rng.integers(0, 7, 50)
    expected = int((scores.argmax(1) == labels).sum())
    assert topk_correct(*_t(scores, labels)) == [expected]
    assert accuracy(*_t(scores, labels)) == [expected / 50]


@pytest.mark.parametrize("k", [5, 100])
def test_k_larger_than_the_number_of_classes_counts_everything(k):
    scores = np.array([[0.1, 0.9, 0.0], [0.3, 0.2, 0.5]], np.float32)
    assert topk_correct(*_t(scores, [2, 2]), topk=(1, k)) == [1, 2]
    assert accuracy(*_t(scores, [0, 1]), topk=(1, k)) == [0.0, 1.0]


def test_works_on_outputs_that_require_grad_and_float64():
    scores = mc.tensor(SCORES.astype(np.float64), requires_grad=True)
    assert topk_correct(scores * 2, mc.tensor(LABELS), topk=(1, 2)) == [1, 3]
    assert scores.grad is None


def test_single_class_and_single_sample():
    assert topk_correct(*_t(np.array([[3.0]], np.float32), [0]), topk=(1, 5)) == [1, 1]
    assert accuracy(*_t(np.array([[0.0, 1.0]], np.float32), [0]), topk=(1, 2)) == [0.0, 1.0]
