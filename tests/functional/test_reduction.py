"""Reductions: sum, mean, var, std, max/min, amax/amin, logsumexp, argmax/argmin: numerics,
integer and index results, ties, errors (gradcheck and PyTorch parity over drawn shapes and
dims: op_table.py)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minicnn as mc
from conftest import assert_torch_parity, random_array, untied_array

torch = pytest.importorskip("torch")


def test_var_is_two_pass_in_float32():
    # E[x²] − E[x]² cancels catastrophically here in float32 (it can even go negative)
    x = (1e4 + np.arange(8) * 1e-1).astype(np.float32)
    got = mc.var(mc.tensor(x), correction=0).item()
    np.testing.assert_allclose(got, np.var(x.astype(np.float64)), rtol=1e-3)


def test_var_with_correction_at_least_n_matches_torch():
    # PyTorch divides by max(0, n − correction): x / 0 → inf, 0 / 0 → nan
    x = np.array([1.0, 2.0], dtype=np.float32)
    for correction, value in [(2, np.inf), (3, np.inf)]:
        assert mc.var(mc.tensor(x), correction=correction).item() == value
    assert np.isnan(mc.var(mc.tensor(np.ones(1, np.float32))).item())


def test_sum_of_integers_and_float32_dtype_kept():
    ints = mc.tensor(np.arange(6, dtype=np.int32).reshape(2, 3))
    assert ints.sum().dtype == np.int64 and ints.sum().item() == 15
    np.testing.assert_array_equal(ints.sum(0).numpy(), [3, 5, 7])
    x = mc.tensor(random_array((3, 4), dtype=np.float32))
    for out in (x.sum(1), x.mean(), x.var(0), x.std(), x.amax(1), x.logsumexp(0)):
        assert out.dtype == np.float32


def test_max_with_dim_returns_values_indices_namedtuple():
    x = mc.tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]), requires_grad=True)
    out = mc.max(x, 1)
    values, indices = out
    assert out.values is values and out.indices is indices
    np.testing.assert_array_equal(values.detach().numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    assert indices.dtype == np.int64 and not indices.requires_grad
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(mc.min(x, 0, keepdim=True).indices.numpy(), [[0, 1, 0]])


@pytest.mark.parametrize("op, dim", [("amax", 1), ("amin", 1), ("amax", (0, 1)), ("max", None),
                                     ("min", None)])
def test_ties_share_the_gradient_like_torch(op, dim):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], dtype=np.float32)
    fn = (lambda t: getattr(t, op)()) if dim is None else (lambda t: getattr(t, op)(dim))
    assert_torch_parity(fn, fn, x)
    if op == "amax" and dim == 1:
        t = mc.tensor(x, requires_grad=True)
        t.amax(1).sum().backward()
        np.testing.assert_allclose(t.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_logsumexp_is_stable_for_large_and_small_inputs():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1000.0]])
    got = mc.logsumexp(mc.tensor(x), 1).numpy()
    np.testing.assert_allclose(got, [1000 + np.log(2), -1000 + np.log(2)])
    assert_torch_parity(lambda t: t.logsumexp(1), lambda t: t.logsumexp(1), x.astype(np.float32))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (None, True), (0, False), (-1, True),
                                          (1, False)])
def test_argmax_argmin(name, dim, keepdim):
    x = untied_array((3, 4, 2), seed=7, dtype=np.float32)
    got = getattr(mc, name)(mc.tensor(x, requires_grad=True), dim, keepdim=keepdim)
    expected = getattr(torch, name)(torch.tensor(x), dim, keepdim=keepdim)
    assert got.dtype == np.int64 and not got.requires_grad
    assert got.shape == tuple(expected.shape)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_argmax_of_0d_tensor():
    assert mc.argmax(mc.tensor(3.0), 0).item() == 0 and mc.tensor(3.0).argmin().item() == 0


@pytest.mark.parametrize("call, op", [
    (lambda x: mc.sum(x, 2), "sum"), (lambda x: mc.mean(x, (0, -3)), "mean"),
    (lambda x: mc.var(x, 2), "var"), (lambda x: mc.std(x, -4), "std"),
    (lambda x: mc.amax(x, 5), "amax"), (lambda x: mc.logsumexp(x, 2), "logsumexp"),
    (lambda x: mc.max(x, 2), "max"), (lambda x: mc.min(x, -3), "min"),
    (lambda x: mc.argmax(x, 2), "argmax"),
])
def test_dim_out_of_range(call, op):
    x = mc.tensor(random_array((2, 3)))
    with pytest.raises(ValueError, match=rf"{op}: dim=-?\d is out of range for a tensor of 2 "):
        call(x)


def test_repeated_dim_is_rejected():
    with pytest.raises(ValueError, match=r"sum: dim \(1, -1\) repeats a dimension"):
        mc.sum(mc.tensor(random_array((2, 3))), (1, -1))


@pytest.mark.parametrize("name", ["mean", "var", "std"])
def test_floating_only_reductions_reject_integers(name):
    with pytest.raises(TypeError, match=rf"{name}: needs a floating tensor, got dtype int64"):
        getattr(mc, name)(mc.tensor(np.arange(6).reshape(2, 3)))


def test_max_of_empty_tensor():
    with pytest.raises(ValueError, match=r"max: cannot reduce an empty tensor of shape \(0, 3\)"):
        mc.max(mc.tensor(np.zeros((0, 3))))


def test_norm_of_zeros_has_a_zero_gradient_as_pytorch():
    for p in (2, 3):
        ours, theirs = mc.zeros(3, requires_grad=True), torch.zeros(3, requires_grad=True)
        mc.norm(ours, p).backward()
        torch.norm(theirs, p).backward()
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_norm_zero_counts_nonzeros_and_refuses_other_forms():
    x = mc.tensor([[0.0, 2.0, -1.0], [0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(x.norm(0, dim=1).numpy(), [2.0, 1.0])
    with pytest.raises(ValueError, match="norm: p must be 'fro' or a number, got 'nuc'"):
        x.norm("nuc")
    with pytest.raises(ValueError, match="norm: p must be positive, inf, -inf or 0, got -1"):
        x.norm(-1)
    with pytest.raises(TypeError, match="norm: needs a floating tensor"):
        mc.tensor([1, 2]).norm()


@pytest.mark.parametrize("call", [
    lambda lib, x: x.sum(axis=1, keepdims=True), lambda lib, x: lib.mean(x, axis=(0, 2)),
    lambda lib, x: x.argmax(axis=2), lambda lib, x: lib.argmin(x, axis=0, keepdims=True),
    lambda lib, x: x.max(axis=1).values, lambda lib, x: lib.min(x, axis=1, keepdims=True)[1],
    lambda lib, x: x.amax(axis=(1, 2)), lambda lib, x: x.std(axis=2),
    lambda lib, x: x.logsumexp(axis=0), lambda lib, x: (x > 0).all(axis=1),
    lambda lib, x: (x > 0).any(axis=2, keepdims=True), lambda lib, x: x.norm(dim=1),
    lambda lib, x: lib.cat([x, x], axis=2), lambda lib, x: lib.stack([x, x], axis=1),
])
def test_numpy_argument_names_as_pytorch(call):
    values = untied_array((2, 3, 4), 7).astype(np.float32)
    ours, theirs = call(mc, mc.tensor(values)), call(torch, torch.tensor(values))
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_both_names_of_one_argument_are_refused():
    with pytest.raises(TypeError, match="sum: got both 'dim' and its NumPy name 'axis'"):
        mc.zeros(2, 3).sum(dim=0, axis=1)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 4).flatmap(lambda ndim: st.tuples(
           st.lists(st.integers(1, 7), min_size=ndim, max_size=ndim),
           st.integers(1, ndim - 1))),
       st.sampled_from([np.float32, np.float64]), st.booleans(), st.booleans(),
       st.sampled_from([None, np.nan, np.inf, -np.inf]))
def test_sums_and_means_over_trailing_axes_equal_numpy(shape_and_axes, dtype, keepdim,
                                                         transposed, special):
    """Rows over trailing axes go through one matrix-vector product (ROW_SUM_MAX); their
    sums and means equal NumPy's pairwise ones to rounding, NaN and ±inf included, in any
    layout."""
    shape, k = shape_and_axes
    a = random_array(tuple(shape), 0, dtype)
    if special is not None:
        a.reshape(-1)[a.size // 2] = special
    if transposed:
        a = a.T
    dims = tuple(range(a.ndim - k, a.ndim))
    scale = np.abs(np.nan_to_num(a, posinf=0, neginf=0)).sum(axis=dims, keepdims=keepdim)
    tolerance = 4 * np.finfo(dtype).eps * (scale + 1)
    for name in ("sum", "mean"):
        got = getattr(mc.tensor(a), name)(dim=dims, keepdim=keepdim).numpy()
        want = getattr(a, name)(axis=dims, keepdims=keepdim)
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_array_equal(np.isinf(got) * np.sign(got),
                                      np.isinf(want) * np.sign(want))
        finite = np.isfinite(want)
        assert np.all(np.abs(got[finite] - want[finite]) <= tolerance[finite])


def test_sums_over_rows_longer_than_the_limit_stay_with_numpy():
    from minicnn.functional.reduction import ROW_SUM_MAX
    a = np.full((3, ROW_SUM_MAX + 1), 0.1, np.float32)
    np.testing.assert_array_equal(mc.tensor(a).sum(1).numpy(), a.sum(axis=1))
