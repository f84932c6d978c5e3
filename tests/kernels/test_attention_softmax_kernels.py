"""The attention softmax (in place, rows of −∞ only to 0) and the softmax gradient along
rows: the cpu and cuda forms equal the reference on hypothesis-drawn rows with masked
entries and masked rows (rows shorter and longer than the cuda form's block of 256 threads),
the reference equals PyTorch's softmax (forward and gradient through autograd), and NaN and
±∞ rows come out as the reference's."""
import numpy as np
import pytest
from hypothesis import example, given, strategies as st
from hypothesis.extra.numpy import array_shapes

from kernel_cases import BLOCK_EDGES, DTYPES, FORMS, assert_same, kernels_of, make_array
from minicnn.kernels import reference

LONG_ROWS = st.tuples(st.integers(1, 4), st.one_of(st.sampled_from(BLOCK_EDGES),
                                                   st.integers(257, 1100)))


def _scores(shape, dtype, seed, masked_fraction):
    """Standard-normal scores times 4, with about `masked_fraction` of them −∞ and the
    first row, when there are two or more, −∞ throughout."""
    rng = np.random.default_rng(seed)
    x = make_array(shape, dtype, seed=seed) * 4
    x[rng.random(shape) < masked_fraction] = -np.inf
    if shape[0] > 1:
        x[0] = -np.inf
    return x


@pytest.mark.parametrize("form", FORMS)
@example(shape=(3, 256), dtype=np.float32, seed=0, masked_fraction=0.3)
@example(shape=(2, 257), dtype=np.float64, seed=1, masked_fraction=0.0)
@given(shape=st.one_of(array_shapes(min_dims=2, max_dims=2, max_side=70), LONG_ROWS),
       dtype=DTYPES, seed=st.integers(0, 2**16), masked_fraction=st.sampled_from([0.0, 0.3, 0.9]))
def test_attention_softmax_forms_equal_reference(form, shape, dtype, seed, masked_fraction):
    kernels = kernels_of(form)
    x = _scores(shape, dtype, seed, masked_fraction)
    want = reference.masked_softmax_rows(x.copy())
    got = x.copy()
    assert kernels.masked_softmax_rows(got) is got                # in place
    assert_same(got, want)
    g = make_array(shape, dtype, seed=seed + 1)
    assert_same(kernels.softmax_backward_rows(want, g),
                reference.softmax_backward_rows(want, g))


def test_reference_attention_softmax_matches_torch():
    torch = pytest.importorskip("torch")
    x = make_array((6, 9), np.float64, seed=3) * 5
    g = make_array((6, 9), np.float64, seed=4)
    tx = torch.tensor(x, requires_grad=True)
    ts = torch.softmax(tx, dim=1)
    ts.backward(torch.tensor(g))
    s = reference.masked_softmax_rows(x.copy())
    assert_same(s, ts.detach().numpy())
    assert_same(reference.softmax_backward_rows(s, g), tx.grad.numpy())


@pytest.mark.parametrize("form", ("reference",) + FORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_attention_softmax_special_rows(form, dtype):
    x = np.array([[-np.inf, -np.inf, -np.inf],     # every key masked: 0
                  [np.nan, 1.0, 2.0],              # NaN propagates
                  [1e30, -1e30, -np.inf],          # huge scores stay finite
                  [88.0, 88.0, 0.0],
                  [np.nan, -np.inf, -np.inf]], dtype=dtype)   # NaN among masked keys: NaN
    s = kernels_of(form).masked_softmax_rows(x)
    np.testing.assert_array_equal(s[0], 0)
    assert np.isnan(s[1]).all()
    np.testing.assert_array_equal(s[2], [1, 0, 0])
    np.testing.assert_allclose(s[3], [0.5, 0.5, 0], atol=1e-30)
    assert np.isnan(s[4]).all()


@pytest.mark.parametrize("form", FORMS)
@given(length=st.integers(1, 90), dtype=DTYPES, data=st.data())
def test_attention_softmax_rows_with_a_nan_or_inf_anywhere(form, length, dtype, data):
    """Rows long enough for the cpu form's lanes of running maxima, with a NaN, +∞ or −∞
    placed at a drawn key: in the first lanes, a later block, or the keys past the last."""
    x = make_array((3, length), dtype, seed=length) * 4
    for row, special in enumerate((np.nan, np.inf, -np.inf)):
        x[row, data.draw(st.integers(0, length - 1))] = special
    got = kernels_of(form).masked_softmax_rows(x.copy())
    assert_same(got, reference.masked_softmax_rows(x.copy()))
    assert np.isnan(got[0]).all()


@pytest.mark.parametrize("form", FORMS)
def test_attention_softmax_refuses_a_copy(form):
    x = np.zeros((4, 6), dtype=np.float32)[:, ::2]
    with pytest.raises(ValueError, match="masked_softmax_rows: x must be C-contiguous"):
        kernels_of(form).masked_softmax_rows(x)


@pytest.mark.parametrize("form", ("reference",) + FORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("K", [3, 2000])
def test_softmax_gradient_of_an_infinite_upstream_gradient(form, dtype, K):
    """One entry of g is +∞: Σ g·s is +∞, so that entry's gradient is NaN and every other
    entry's −∞, as the reference's; a sum that turned +∞ into NaN would leave NaN
    everywhere."""
    s = reference.masked_softmax_rows(make_array((2, K), dtype, seed=5))
    g = make_array((2, K), dtype, seed=6)
    g[1, K // 2] = np.inf
    with np.errstate(invalid="ignore"):                         # ∞ − ∞ is meant
        got = kernels_of(form).softmax_backward_rows(s, g)
        assert_same(got, reference.softmax_backward_rows(s, g))
    assert np.isnan(got[1, K // 2])
    assert np.isneginf(np.delete(got[1], K // 2)).all()
