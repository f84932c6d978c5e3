"""Shape ops: reshape/view, transpose, permute, flatten, squeeze/unsqueeze, expand, repeat, cat,
stack, split, chunk, unbind, pad, contiguous and .T."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minicnn as mc
from conftest import assert_torch_parity, check_gradients, random_array

torch = pytest.importorskip("torch")


def check(fn, *shapes):
    """gradcheck `fn(lib, *tensors)` with minicnn in float64, then parity with torch in float32.
    `fn` is written once for both libraries (`lib` is `mc` or `torch`)."""
    arrays = [random_array(s, seed=i) for i, s in enumerate(shapes)]
    check_gradients(lambda *t: fn(mc, *t), *arrays)
    assert_torch_parity(lambda *t: fn(mc, *t), lambda *t: fn(torch, *t),
                        *[a.astype(np.float32) for a in arrays])


# (input shape, fn(lib, x)) for the single-input ops
UNARY_CASES = {
    "reshape -1 last": ((2, 3, 4), lambda lib, x: x.reshape(6, -1)),
    "reshape -1 first": ((2, 3, 4), lambda lib, x: lib.reshape(x, (-1, 2, 2))),
    "reshape flat": ((2, 3, 4), lambda lib, x: x.reshape(-1)),
    "reshape to 0-d": ((1, 1), lambda lib, x: x.reshape(())),
    "view": ((2, 3, 4), lambda lib, x: x.view(3, 1, 8)),
    "view tuple": ((6,), lambda lib, x: x.view((2, 3))),
    "transpose": ((2, 3, 4), lambda lib, x: lib.transpose(x, 0, 2)),
    "transpose negative": ((2, 3, 4), lambda lib, x: x.transpose(-1, -2)),
    "t": ((2, 3), lambda lib, x: x.t()),
    ".T 2-d": ((2, 3), lambda lib, x: x.T),
    "flatten all": ((2, 3, 4), lambda lib, x: lib.flatten(x)),
    "flatten 1..": ((2, 3, 4, 2), lambda lib, x: x.flatten(1)),
    "flatten middle": ((2, 3, 4, 2), lambda lib, x: x.flatten(1, 2)),
    "flatten negative": ((2, 3, 4, 2), lambda lib, x: x.flatten(-3, -2)),
    "flatten one dim": ((2, 3, 4), lambda lib, x: x.flatten(1, 1)),
    "flatten 0-d": ((), lambda lib, x: x.flatten()),
    "squeeze all": ((1, 3, 1, 2), lambda lib, x: lib.squeeze(x)),
    "squeeze one": ((1, 3, 1, 2), lambda lib, x: x.squeeze(2)),
    "squeeze negative": ((1, 3, 1, 2), lambda lib, x: x.squeeze(-4)),
    "squeeze non-1 is a no-op": ((1, 3, 1, 2), lambda lib, x: x.squeeze(1)),
    "squeeze tuple": ((1, 3, 1, 2), lambda lib, x: x.squeeze((0, 2, 3))),
    "unsqueeze 0": ((2, 3), lambda lib, x: lib.unsqueeze(x, 0)),
    "unsqueeze end": ((2, 3), lambda lib, x: x.unsqueeze(2)),
    "unsqueeze -1": ((2, 3), lambda lib, x: x.unsqueeze(-1)),
    "unsqueeze -3": ((2, 3), lambda lib, x: x.unsqueeze(-3)),
    "expand": ((3, 1), lambda lib, x: x.expand(3, 4)),
    "expand -1 and new dims": ((3, 1), lambda lib, x: x.expand(2, 5, -1, 4)),
    "expand tuple": ((1, 2, 1), lambda lib, x: lib.expand(x, (3, 2, 2)) if lib is mc
                     else x.expand((3, 2, 2))),
    "expand 0-d": ((), lambda lib, x: x.expand(2, 3)),
    "expand_as": ((3, 1), lambda lib, x: x.expand_as(lib.zeros(2, 3, 4))),
    "repeat": ((2, 3), lambda lib, x: x.repeat(2, 3)),
    "repeat ones": ((2, 3), lambda lib, x: x.repeat(1, 1)),
    "repeat more than dims": ((2, 3), lambda lib, x: x.repeat(2, 1, 2, 3)),
    "repeat tuple": ((2,), lambda lib, x: lib.repeat(x, (3, 2)) if lib is mc
                     else x.repeat((3, 2))),
    "pad last dim": ((2, 3), lambda lib, x: lib.nn.functional.pad(x, (1, 2))),
    "pad two dims": ((2, 3, 4), lambda lib, x: lib.nn.functional.pad(x, (0, 1, 2, 0))),
    "pad value": ((2, 3), lambda lib, x: lib.nn.functional.pad(x, (1, 1, 1, 1), value=-2.5)),
    "pad all dims": ((2, 3), lambda lib, x: lib.nn.functional.pad(x, (1, 0, 0, 1))),
    "pad negative crops": ((3, 5), lambda lib, x: lib.nn.functional.pad(x, (-1, -2, 0, -1))),
    "pad mixed": ((3, 5), lambda lib, x: lib.nn.functional.pad(x, (-2, 1, 2, -1), value=3.0)),
    "pad zero": ((3, 5), lambda lib, x: lib.nn.functional.pad(x, (0, 0))),
    "contiguous of transposed": ((2, 3), lambda lib, x: x.t().contiguous()),
}


@pytest.mark.parametrize("shape, fn", UNARY_CASES.values(), ids=UNARY_CASES.keys())
def test_single_input_op(shape, fn):
    check(fn, shape)


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_permute_random_permutation(shape, data):
    dims = data.draw(st.permutations(range(len(shape))))
    negative = data.draw(st.lists(st.booleans(), min_size=len(dims), max_size=len(dims)))
    dims = tuple(d - len(dims) if neg else d for d, neg in zip(dims, negative))
    check(lambda lib, x: x.permute(*dims), tuple(shape))
    check(lambda lib, x: lib.permute(x, dims), tuple(shape))


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_transpose_random_dims(shape, data):
    n = len(shape)
    d0, d1 = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
    check(lambda lib, x: lib.transpose(x, d0, d1), tuple(shape))


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_reshape_random_factorisation(shape, data):
    n = int(np.prod(shape))
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    first = data.draw(st.sampled_from(divisors))
    check(lambda lib, x: x.reshape(first, -1, 1), tuple(shape))


def test_T_reverses_all_dims():
    x = random_array((2, 3, 4), dtype=np.float32)
    assert_torch_parity(lambda t: t.T, lambda t: t.permute(2, 1, 0), x)
    assert mc.tensor(x).mT.shape == (2, 4, 3)


def test_contiguous():
    x = mc.tensor(random_array((3, 4)), requires_grad=True)
    assert x.contiguous() is x
    y = x.t().contiguous()
    assert y.data.flags.c_contiguous and not x.t().data.flags.c_contiguous
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy().T)


# (input shapes, fn(lib, *tensors)) for the ops that join or split
MULTI_CASES = {
    "cat dim 0": ([(2, 3), (1, 3), (4, 3)], lambda lib, *t: lib.cat(t)),
    "cat dim -1": ([(2, 3), (2, 1), (2, 2)], lambda lib, *t: lib.cat(list(t), dim=-1)),
    "cat middle": ([(2, 1, 3), (2, 4, 3)], lambda lib, *t: lib.cat(t, 1)),
    "cat one tensor": ([(2, 3)], lambda lib, *t: lib.cat(t, 1)),
    "stack 0": ([(2, 3)] * 3, lambda lib, *t: lib.stack(t)),
    "stack -1": ([(2, 3)] * 2, lambda lib, *t: lib.stack(list(t), dim=-1)),
    "stack middle": ([(2, 3)] * 2, lambda lib, *t: lib.stack(t, 1)),
    "split size even": ([(6, 2)], lambda lib, x: lib.split(x, 2)),
    "split size uneven": ([(2, 7)], lambda lib, x: x.split(3, dim=1)),
    "split size larger": ([(2, 3)], lambda lib, x: x.split(5, dim=-1)),
    "split sections": ([(2, 6)], lambda lib, x: lib.split(x, [1, 3, 2], dim=-1)),
    "split sections with 0": ([(5, 2)], lambda lib, x: x.split([2, 0, 3])),
    "chunk even": ([(6, 2)], lambda lib, x: lib.chunk(x, 3)),
    "chunk uneven": ([(2, 5)], lambda lib, x: x.chunk(3, dim=1)),       # 2, 2, 1
    "chunk fewer pieces": ([(6, 2)], lambda lib, x: x.chunk(4)),         # 2, 2, 2
    "chunk more than size": ([(2, 3)], lambda lib, x: x.chunk(5, -1)),    # 1, 1, 1
    "unbind 0": ([(3, 2)], lambda lib, x: lib.unbind(x)),
    "unbind -1": ([(2, 3, 4)], lambda lib, x: x.unbind(-1)),
    "split one piece used": ([(2, 7)], lambda lib, x: x.split(3, 1)[1] * 2),
}


@pytest.mark.parametrize("shapes, fn", MULTI_CASES.values(), ids=MULTI_CASES.keys())
def test_join_and_split(shapes, fn):
    # assert_torch_parity compares the pieces one by one (count, shape, values, gradients)
    check(fn, *shapes)


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
