"""recall@k on hand-made similarity matrices: ranks, ties broken at random in expectation,
both directions from paired features, and the errors that name what is wrong."""
import numpy as np
import pytest

import minicnn as mc
from minicnn.train.retrieval import recall_at_k, retrieval_recalls


def test_a_matrix_whose_diagonal_wins_has_recall_one():
    similarity = np.eye(4) + 0.1 * np.arange(16).reshape(4, 4) / 16
    assert recall_at_k(similarity, 1) == 1.0


def test_recall_counts_the_rank_of_each_match():
    similarity = np.array([[0.9, 0.1, 0.0],      # match first
                           [0.8, 0.5, 0.9],      # match third
                           [0.7, 0.6, 0.65]])    # match second
    assert recall_at_k(similarity, 1) == pytest.approx(1 / 3)
    assert recall_at_k(similarity, 2) == pytest.approx(2 / 3)
    assert recall_at_k(similarity, 3) == 1.0


def test_ties_are_broken_at_random_in_expectation():
    assert recall_at_k(np.ones((4, 4)), 1) == pytest.approx(0.25)   # chance: k / N
    assert recall_at_k(np.ones((4, 4)), 3) == pytest.approx(0.75)
    # row 0: one column higher, its match tied with one other: ranks 2 or 3
    similarity = np.array([[0.5, 0.9, 0.5, 0.1],
                           [0.0, 1.0, 0.0, 0.0],
                           [0.0, 0.0, 1.0, 0.0],
                           [0.0, 0.0, 0.0, 1.0]])
    assert recall_at_k(similarity, 1) == pytest.approx(3 / 4)
    assert recall_at_k(similarity, 2) == pytest.approx((0.5 + 3) / 4)
    assert recall_at_k(similarity, 3) == 1.0


def test_a_tensor_is_read_as_its_values():
    assert recall_at_k(mc.tensor(np.eye(3, dtype=np.float32)), 1) == 1.0


@pytest.mark.parametrize("k", [0, 6, 2.0, True])
def test_k_outside_one_to_n_is_an_error_naming_k(k):
    with pytest.raises(ValueError, match=rf"recall_at_k: k={k!r} must be an integer from 1 "
                                         rf"to the number of candidates, 5"):
        recall_at_k(np.eye(5), k)


@pytest.mark.parametrize("shape", [(3, 4), (3,), (0, 0)])
def test_a_matrix_that_is_not_square_is_an_error_naming_its_shape(shape):
    with pytest.raises(ValueError, match=rf"square .* got shape {re_shape(shape)}"):
        recall_at_k(np.zeros(shape), 1)


def re_shape(shape):
    return str(shape).replace("(", r"\(").replace(")", r"\)")


def test_nan_is_an_error():
    with pytest.raises(ValueError, match="NaN or inf"):
        recall_at_k(np.array([[1.0, np.nan], [0.0, 1.0]]), 1)


def test_retrieval_recalls_give_both_directions_of_cosine_similarity():
    images = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    texts = np.array([[2.0, 0.1], [0.0, 3.0], [1.0, 0.0]])
    scores = retrieval_recalls(images, texts, ks=(1, 2))
    # image 0 is nearest text 2, then its own; image 2 nearest text 0, its own tied with text 1
    assert scores["image_to_text_R@1"] == pytest.approx(1 / 3)
    assert scores["image_to_text_R@2"] == pytest.approx((1 + 1 + 0.5) / 3)
    # text 2 is nearest image 0, then its own
    assert scores["text_to_image_R@1"] == pytest.approx(2 / 3)
    assert scores["text_to_image_R@2"] == 1.0
