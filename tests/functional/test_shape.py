"""Shape ops: .mT, contiguous, chunk sizes, empty dimensions, dtype promotion, gradient
accumulation and bad input (gradcheck and PyTorch parity of reshape/view, transpose, permute,
flatten, squeeze/unsqueeze, expand, repeat, cat, stack, split, chunk, unbind, pad, contiguous
and .T: op_table.py)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minicnn as mc
from conftest import random_array

torch = pytest.importorskip("torch")


def test_mT_swaps_the_last_two_dims():
    x = random_array((2, 3, 4))
    np.testing.assert_array_equal(mc.tensor(x).mT.numpy(), x.swapaxes(-1, -2))


def test_contiguous():
    x = mc.tensor(random_array((3, 4)), requires_grad=True)
    assert x.contiguous() is x
    y = x.t().contiguous()
    assert y._data.flags.c_contiguous and not x.t()._data.flags.c_contiguous
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy().T)


@given(n=st.integers(1, 9), chunks=st.integers(1, 10))
def test_chunk_sizes_like_torch(n, chunks):
    x = np.arange(n, dtype=np.float32)
    ours = [p.shape for p in mc.chunk(mc.tensor(x), chunks)]
    assert ours == [tuple(p.shape) for p in torch.chunk(torch.tensor(x), chunks)]


def test_empty_dimension_split_chunk_unbind():
    x = mc.tensor(np.zeros((0, 3)))
    assert [p.shape for p in x.chunk(3)] == [(0, 3)] * 3  # as torch.chunk
    assert x.unbind(0) == ()
    assert [p.shape for p in x.split(2)] == [(0, 3)]


def test_cat_promotes_dtypes():
    out = mc.cat([mc.tensor(np.ones(2, np.float32)), mc.tensor(np.ones(1, np.float64))])
    assert out.dtype == np.float64 and out.shape == (3,)


def test_gradients_accumulate_when_a_tensor_is_joined_twice():
    x = mc.tensor(random_array((2, 3)), requires_grad=True)
    mc.cat([x, x * 2], dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 3.0))


ERRORS = [
    (lambda x: x.reshape(4, 4), r"reshape: shape \(4, 4\) is invalid for input of shape \(2, 3, 4\)"),
    (lambda x: x.reshape(5, -1), r"reshape: shape \(5, -1\) is invalid for input of shape "
                                 r"\(2, 3, 4\)"),
    (lambda x: x.reshape(-1, -1), r"reshape: invalid shape \(-1, -1\)"),
    (lambda x: mc.cat([x, mc.zeros(2, 4, 4)]), r"cat: tensor 1 has shape \(2, 4, 4\) but tensor 0 "
                                               r"has shape \(2, 3, 4\)"),
    (lambda x: mc.cat([x, mc.zeros(2, 3)], 1), r"cat: tensor 1 has shape \(2, 3\) but tensor 0 "
                                               r"has shape \(2, 3, 4\)"),
    (lambda x: mc.cat([]), r"cat: expected a non-empty sequence"),
    (lambda x: mc.cat([mc.tensor(1.0), mc.tensor(2.0)]), r"cat: tensor 0 is zero-dimensional"),
    (lambda x: mc.stack([x, mc.zeros(2, 3, 5)]), r"stack: tensor 1 has shape \(2, 3, 5\) but "
                                                 r"tensor 0 has shape \(2, 3, 4\)"),
    (lambda x: x.split([2, 1], 2), r"split: sections \[2, 1\] do not add up to the size 4 of "
                                   r"dimension 2"),
    (lambda x: x.split(0), r"split: split_size must be positive, got 0"),
    (lambda x: x.chunk(0), r"chunk: chunks must be positive, got 0"),
    (lambda x: x.expand(2, 5, 4), r"expand: the size of dimension 1 is 3 and cannot be expanded "
                                  r"to 5"),
    (lambda x: x.expand(3, 4), r"expand: 2 sizes \(3, 4\) for a tensor of 3 dimensions"),
    (lambda x: x.expand(-1, 2, 3, 4), r"expand: -1 is not allowed for a new leading dimension"),
    (lambda x: x.repeat(2, 2), r"repeat: 2 repeats \(2, 2\) for a tensor of 3 dimensions"),
    (lambda x: x.permute(0, 0, 1), r"permute: dims \(0, 0, 1\) are not a permutation of 0..2"),
    (lambda x: x.permute(1, 0), r"permute: got 2 dims \(1, 0\) for a tensor of 3 dimensions"),
    (lambda x: mc.functional.pad(x, (1, 2, 3)), r"pad: pad \(1, 2, 3\) must hold a \(before, "
                                                r"after\) pair"),
    (lambda x: mc.functional.pad(x, (1,) * 8), r"pad: pad \(1, 1, 1, 1, 1, 1, 1, 1\) must hold"),
    (lambda x: mc.functional.pad(x, (-3, -2)), r"pad: padding \(-3, -2\) leaves a negative size "
                                               r"in dimension 2"),
    (lambda x: mc.functional.pad(x, (1, 1), mode="reflect"), r"pad: mode 'reflect' is not "
                                                             r"supported"),
    (lambda x: x.flatten(2, 1), r"flatten: start_dim 2 comes after end_dim 1"),
    (lambda x: x.t(), r"t: expects a tensor of at most 2 dimensions, got shape \(2, 3, 4\)"),
]


@pytest.mark.parametrize("call, message", ERRORS)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call(mc.zeros(2, 3, 4))


@pytest.mark.parametrize("call, op, arg", [
    (lambda x: x.transpose(0, 3), "transpose", "dim1"),
    (lambda x: x.transpose(-4, 0), "transpose", "dim0"),
    (lambda x: x.permute(0, 1, 3), "permute", "dim"),
    (lambda x: x.flatten(3), "flatten", "start_dim"),
    (lambda x: x.flatten(0, -4), "flatten", "end_dim"),
    (lambda x: x.squeeze(3), "squeeze", "dim"),
    (lambda x: x.squeeze((0, -4)), "squeeze", "dim"),
    (lambda x: x.unsqueeze(4), "unsqueeze", "dim"),
    (lambda x: x.unsqueeze(-5), "unsqueeze", "dim"),
    (lambda x: mc.cat([x, x], 3), "cat", "dim"),
    (lambda x: mc.stack([x, x], -5), "stack", "dim"),
    (lambda x: x.split(1, 3), "split", "dim"),
    (lambda x: x.chunk(2, -4), "chunk", "dim"),
    (lambda x: x.unbind(3), "unbind", "dim"),
])
def test_dim_out_of_range(call, op, arg):
    with pytest.raises(ValueError, match=rf"{op}: {arg}=-?\d is out of range for a tensor of "
                                         rf"[34] dimension"):
        call(mc.zeros(2, 3, 4))


def test_meshgrid_defaults_to_ij_takes_a_list_and_shares_gradients():
    x, y = mc.arange(3.0, requires_grad=True), mc.arange(2.0, requires_grad=True)
    gx, gy = mc.meshgrid([x, y])
    tx, ty = torch.meshgrid([torch.arange(3.0), torch.arange(2.0)], indexing="ij")
    np.testing.assert_array_equal(gx.detach().numpy(), tx.numpy())
    np.testing.assert_array_equal(gy.detach().numpy(), ty.numpy())
    (gx * gy).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])   # Σ y
    np.testing.assert_array_equal(y.grad.numpy(), [3.0, 3.0])        # Σ x
    with pytest.raises(ValueError, match="meshgrid: indexing must be 'ij' or 'xy'"):
        mc.meshgrid(x, y, indexing="yx")
    with pytest.raises(ValueError, match=r"meshgrid: expects 0-D or 1-D tensors, tensor 1 has "
                                         r"shape \(2, 2\)"):
        mc.meshgrid(x, mc.zeros(2, 2))
