"""F.embedding: float64 gradcheck, PyTorch parity (padding_idx, scale_grad_by_freq,
max_norm), and errors."""
import numpy as np
import pytest
from conftest import assert_torch_parity, check_gradients, random_array

import minicnn as mc
import minicnn.nn.functional as F

torch = pytest.importorskip("torch")

INDICES = np.array([[0, 3, 3], [5, 1, 3]])


def test_embedding_gradcheck():
    check_gradients(lambda w: F.embedding(mc.tensor(INDICES), w), random_array((6, 4)))


@pytest.mark.parametrize("kwargs", [
    {}, {"padding_idx": 3}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
    {"padding_idx": 0, "scale_grad_by_freq": True}],
    ids=["plain", "padding", "negative-padding", "freq", "padding-freq"])
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
def test_embedding_matches_torch(kwargs, index_dtype):
    indices = INDICES.astype(index_dtype)
    assert_torch_parity(lambda w: F.embedding(mc.tensor(indices), w, **kwargs),
                        lambda w: torch.nn.functional.embedding(torch.tensor(indices), w,
                                                                **kwargs),
                        random_array((6, 4)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_embedding_max_norm_renormalizes_used_rows_like_torch(norm_type):
    weight = random_array((6, 4)) * 2
    ours, theirs = mc.tensor(weight, requires_grad=True), torch.tensor(weight,
                                                                       requires_grad=True)
    out = F.embedding(mc.tensor(INDICES), ours, max_norm=1.0, norm_type=norm_type)
    expected = torch.nn.functional.embedding(torch.tensor(INDICES), theirs, max_norm=1.0,
                                             norm_type=norm_type)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    np.testing.assert_array_equal(ours.detach().numpy()[[2, 4]], weight[[2, 4]])  # unused rows


def test_embedding_output_shape_and_scalar_index():
    w = mc.randn(5, 3)
    assert F.embedding(mc.tensor(2), w).shape == (3,)
    assert F.embedding(mc.tensor(np.zeros((2, 0, 4), np.int64)), w).shape == (2, 0, 4, 3)


@pytest.mark.parametrize("indices,kwargs,error,match", [
    (np.array([0, 6]), {}, IndexError, "index 6 is out of range for weight with 6 rows"),
    (np.array([-1, 2]), {}, IndexError, "index -1 is out of range"),
    (np.array([0.0, 1.0]), {}, TypeError, "integer indices"),
    (np.array([0, 1]), {"padding_idx": 6}, ValueError, "padding_idx=6"),
    (np.array([0, 1]), {"sparse": True}, NotImplementedError, "sparse"),
])
def test_embedding_errors(indices, kwargs, error, match):
    with pytest.raises(error, match=match):
        F.embedding(mc.tensor(indices), mc.randn(6, 2), **kwargs)


def test_embedding_weight_must_be_2d():
    with pytest.raises(ValueError, match="weight must be 2-D"):
        F.embedding(mc.tensor([0]), mc.randn(6))
